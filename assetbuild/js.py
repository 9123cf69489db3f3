"""JavaScript: find ES module specifiers and sourceMappingURL comments, and minify.

A small lexer that knows comments, strings, template literals and regular expression
literals, so that ``import`` inside any of them is never taken for a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import rjsmin

from assetbuild.refs import LineIndex, Placeholders, Ref

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lcomment>//[^\n\r\u2028\u2029]*)
  | (?P<bcomment>/\*.*?(?:\*/|\Z))
  | (?P<string>"(?:[^"\\\n\r]|\\.|\\\r\n)*"?|'(?:[^'\\\n\r]|\\.|\\\r\n)*'?)
  | (?P<name>(?:[A-Za-z_$\u0080-\U0010ffff]|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\})
             (?:[\w$\u0080-\U0010ffff]|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\})*)
  | (?P<number>\.?\d[\w.]*)
  | (?P<punct>\.\.\.|\?\.|=>|[{}()\[\];,<>+\-*%&|^!~?:=.@\#])
  | (?P<slash>/)
  | (?P<tick>`)
  | (?P<other>.)
""", re.S | re.X)

_REGEX_BODY = re.compile(r"(?:[^\\/\[\n\r]|\\.|\[(?:[^\]\\\n\r]|\\.)*\]?)*/?[\w$]*", re.S)
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.S)
_SOURCEMAP = re.compile(r"//[#@][ \t]*sourceMappingURL=(\S+)[ \t]*\Z")
_HINTS = re.compile(r"\bimport\b|\bexport\b|sourceMappingURL")

# After these, a slash starts a regular expression rather than a division.
_KEYWORDS_BEFORE_EXPR = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split())


@dataclass
class Scan:
    """What the lexer found in one script."""

    refs: list[Ref] = field(default_factory=list)
    is_module: bool = False


@dataclass
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str):
    """Significant tokens (no whitespace; comments yielded for source-map detection)."""
    pos, n = 0, len(text)
    prev: _Tok | None = None
    braces: list[int] = []  # open-brace count inside each template substitution
    while pos < n:
        m = _TOKEN.match(text, pos)
        kind, start, pos = m.lastgroup, m.start(), m.end()
        if kind == "ws":
            continue
        if kind == "slash":
            regex_allowed = prev is None or (
                prev.kind == "punct" and prev.text not in (")", "]", "}")) or (
                prev.kind == "name" and prev.text in _KEYWORDS_BEFORE_EXPR) or (
                prev.kind == "template" and prev.text.endswith("${"))
            if regex_allowed:
                pos = _REGEX_BODY.match(text, pos).end()
                kind = "regex"
            else:
                kind = "punct"
        elif kind == "tick" or (kind == "punct" and m.group() == "}" and braces and braces[-1] == 0):
            if kind == "punct":
                braces.pop()
            pos = _TEMPLATE_CHUNK.match(text, pos).end()
            if text.startswith("${", pos):
                braces.append(0)
                pos += 2
            elif pos < n:
                pos += 1  # closing backtick
            kind = "template"
        elif kind == "punct" and braces:
            if m.group() == "{":
                braces[-1] += 1
            elif m.group() == "}":
                braces[-1] -= 1
        tok = _Tok(kind, text[start:pos], start, pos)
        yield tok
        if kind not in ("lcomment", "bcomment"):
            prev = tok


def _string_body(tok: _Tok) -> tuple[int, int] | None:
    t = tok.text
    if len(t) >= 2 and t[-1] == t[0]:
        return tok.start + 1, tok.end - 1
    return None  # unterminated: not a usable specifier


def scan(text: str) -> Scan:
    """Module specifiers (static and dynamic ``import``, ``export … from``) and source maps."""
    result = Scan()
    if not _HINTS.search(text):
        return result
    lines = LineIndex(text)
    toks = [t for t in _tokens(text)]
    code = [t for t in toks if t.kind not in ("lcomment", "bcomment")]

    def add(tok: _Tok, kind: str = "module") -> None:
        span = _string_body(tok)
        if span:
            result.refs.append(Ref(span[0], span[1], text[span[0]:span[1]], kind,
                                   lines.line(span[0])))

    for t in toks:
        if t.kind == "lcomment":
            sm = _SOURCEMAP.search(t.text)
            if sm:
                result.refs.append(Ref(t.start + sm.start(1), t.start + sm.end(1), sm.group(1),
                                       "sourcemap", lines.line(t.start)))

    i, n = 0, len(code)
    while i < n:
        t = code[i]
        after_dot = i > 0 and code[i - 1].text in (".", "?.")
        if t.kind == "name" and t.text in ("import", "export") and not after_dot:
            nxt = code[i + 1] if i + 1 < n else None
            if t.text == "import" and nxt is not None:
                if nxt.kind == "string":  # import './side-effect.js'
                    result.is_module = True
                    add(nxt)
                elif nxt.text == "(":  # import('./lazy.js')
                    if i + 3 < n and code[i + 2].kind == "string" and code[i + 3].text in (")", ","):
                        add(code[i + 2])
                elif nxt.text != ".":  # import x, {y} from './m.js'
                    j = _from_clause(code, i + 1)
                    if j is not None:
                        result.is_module = True
                        add(code[j])
            elif t.text == "export" and nxt is not None:
                result.is_module = True
                if nxt.text in ("*", "{"):
                    j = _from_clause(code, i + 1)
                    if j is not None:
                        add(code[j])
        i += 1
    return result


def _from_clause(code: list[_Tok], i: int) -> int | None:
    """Index of the specifier string of an import/export clause starting at *i*, or None."""
    depth = 0
    for j in range(i, min(len(code), i + 4096)):
        t = code[j]
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth -= 1
        elif depth == 0 and t.kind == "name" and t.text == "from":
            nxt = code[j + 1] if j + 1 < len(code) else None
            if nxt is not None and nxt.kind == "string":
                return j + 1
            if nxt is not None and nxt.text == ",":
                continue  # `import from, {x} from` names a binding 'from'
            return None
        elif t.kind not in ("name", "string") and t.text not in (",", "*"):
            return None
        if depth < 0:
            return None
    return None


class Unminifiable(ValueError):
    """A script that minifying could change, so it is kept as written."""


_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_SUBSTITUTION_STEP = re.compile(r"[^{}'\"`/]*")
_SPACED_ESCAPE = re.compile(r"\s\\u|\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})\s")
_SPACED_DOT = re.compile(r"[0-9][ \t\n\r]+\.")


def _may_nest_templates(text: str) -> bool:
    """False only when no ${...} in *text* can hold a backtick: each one closes before any
    quote, slash or backtick (which could start a string, regex, comment or template)."""
    pos = text.find("${")
    while pos != -1:
        depth, i = 0, pos + 1
        while True:
            i = _SUBSTITUTION_STEP.match(text, i).end()
            if i >= len(text) or text[i] not in "{}":
                return True
            depth += 1 if text[i] == "{" else -1
            i += 1
            if depth == 0:
                break
        pos = text.find("${", i)
    return False


def _has_inline_multiline_comment(text: str) -> bool:
    """A /* comment */ with a line break inside and code before and after it on its lines."""
    start = text.find("/*")
    while start != -1:
        end = text.find("*/", start + 2)
        if end == -1:
            return False
        if _LINE_BREAK.search(text, start, end):
            before = text[text.rfind("\n", 0, start) + 1:start]
            line_end = text.find("\n", end)
            after = text[end + 2:line_end if line_end != -1 else len(text)]
            if before.strip() and after.strip():
                return True
        start = text.find("/*", end + 2)
    return False


def _may_be_fragile(text: str) -> bool:
    """Cheap tests: False when *text* surely holds nothing rjsmin gets wrong, so the lexer
    need not run."""
    return (("`" in text and "${" in text and _may_nest_templates(text))
            or ("\\u" in text and _SPACED_ESCAPE.search(text) is not None)
            or "<!--" in text or "-->" in text
            or _SPACED_DOT.search(text) is not None
            or ("/*" in text and _has_inline_multiline_comment(text)))


def _hold_or_replace(text: str) -> list[tuple[int, int, str | None]]:
    """Edits that make *text* safe for rjsmin: (start, end, None) to hide a span from it,
    (start, end, replacement) to rewrite one. Raises Unminifiable when none would do.

    rjsmin reads a template literal as a plain backtick string, so a template nested in
    another's ${...} (or a backtick in a string there) has its inside minified as code; it
    drops the space before an identifier written with a \\u escape and between ``1`` and
    ``.toString()``; and it removes a comment that spans lines, which ends a statement.
    """
    edits: list[tuple[int, int, str | None]] = []
    depth = 0  # open template substitutions
    outer_start, nested = 0, False
    prev: _Tok | None = None
    for tok in _tokens(text):
        if tok.kind == "template":
            opens, starts = tok.text.endswith("${"), tok.text.startswith("`")
            if starts and depth == 0:
                outer_start, nested = tok.start, False
            elif starts:
                nested = True
            if opens and starts:
                depth += 1
            elif not opens and not starts:
                depth -= 1
                if depth == 0 and nested:
                    edits.append((outer_start, tok.end, None))
        elif depth:
            nested = nested or "`" in tok.text
        elif tok.kind == "name" and "\\" in tok.text:
            edits.append((tok.start, tok.end, None))
        elif tok.kind == "bcomment" and not tok.text.startswith("/*!") and _LINE_BREAK.search(tok.text):
            edits.append((tok.start, tok.end, "\n"))
        elif tok.kind == "punct" and (text.startswith("<!--", tok.start) or (
                text.startswith("-->", tok.start)
                and not text[text.rfind("\n", 0, tok.start) + 1:tok.start].strip())):
            line = text.count("\n", 0, tok.start) + 1
            raise Unminifiable(f"line {line} has an HTML-like comment "
                               f"'{text[tok.start:tok.start + 4].strip()}', which minifying "
                               "could turn into code or let hide the next line")
        if (prev is not None and prev.kind == "number" and tok.text == "." and not depth
                and re.fullmatch(r"\d[\d_]*", prev.text) and tok.start > prev.end):
            edits.append((prev.start, tok.start, None))  # keep '1 .x' from becoming '1.x'
        if tok.kind not in ("lcomment", "bcomment"):
            prev = tok
    return edits


def minify(text: str) -> str:
    """rjsmin with /*! license */ comments kept, and kept from changing what code does.

    Spans rjsmin would get wrong are swapped for placeholder names while it runs.
    Raises Unminifiable for scripts that cannot be minified safely.
    """
    edits = _hold_or_replace(text) if _may_be_fragile(text) else []
    if not edits:
        return rjsmin.jsmin(text, keep_bang_comments=True)
    nonce = 0
    while f"__abjs{nonce}_" in text:
        nonce += 1
    holders = Placeholders(f"__abjs{nonce}_")
    pieces, held, pos = [], [], 0
    for start, end, replacement in sorted(edits):
        if start < pos:
            continue  # inside a span already held
        pieces.append(text[pos:start])
        if replacement is None:
            pieces.append(holders.token(len(held)))
            held.append(text[start:end])
        else:
            pieces.append(replacement)
        pos = end
    pieces.append(text[pos:])
    return holders.restore(rjsmin.jsmin("".join(pieces), keep_bang_comments=True), held)
