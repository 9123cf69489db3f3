"""JavaScript: find ES module specifiers and sourceMappingURL comments, and minify.

Two passes, both linear. The first walks the text stopping only at quotes, slashes and
template braces, and records where strings, comments, template literals and regular
expressions lie, so that ``import`` inside any of them is never taken for a statement.
The second looks at each ``import``/``export`` keyword that lies in code and reads the
few tokens after it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import rjsmin

from assetbuild.refs import LineIndex, Placeholders, Ref

_PLAIN = re.compile(r"[^'\"`/]*")
_PLAIN_IN_TEMPLATE = re.compile(r"[^'\"`/{}]*")
_STRING = {q: re.compile(q + r"(?:[^" + q + r"\\\n\r]|\\.|\\\r\n)*(?:" + q + r"|(?=[\n\r])|\Z)", re.S)
           for q in "'\""}
_LINE_COMMENT = re.compile(r"//[^\n\r\u2028\u2029]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_REGEX = re.compile(r"/(?:[^\\/\[\n\r]|\\.|\[(?:[^\]\\\n\r]|\\.)*\]?)*/?[\w$]*", re.S)
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.S)
_WORD_BEFORE = re.compile(r"[\w$\u0080-\U0010ffff]+$")
_SOURCEMAP = re.compile(r"//[#@][ \t]*sourceMappingURL=(\S+)[ \t]*\Z")
_KEYWORD = re.compile(r"(?<![\w$.\u0080-\U0010ffff])(?:import|export)(?![\w$\u0080-\U0010ffff])")
_HINTS = re.compile(r"\bimport\b|\bexport\b|sourceMappingURL")

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n\r\u2028\u2029]*|/\*.*?(?:\*/|\Z))
  | (?P<string>"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<name>[A-Za-z_$\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*)
  | (?P<punct>\?\.|[{}()\[\];,*.:=])
  | (?P<other>.)
""", re.S | re.X)

# After these words, a slash starts a regular expression rather than a division.
_KEYWORDS_BEFORE_EXPR = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split())


@dataclass
class Scan:
    """What the scanner found in one script."""

    refs: list[Ref] = field(default_factory=list)
    is_module: bool = False


def _regex_allowed(text: str, pos: int) -> bool:
    """Whether a slash at *pos* starts a regular expression, judged by what precedes it."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\r\n\f\v\u00a0\ufeff\u2028\u2029":
        i -= 1
    if i < 0:
        return True
    c = text[i]
    if c in ")]":
        return False
    if c.isalnum() or c in "_$" or ord(c) > 127:
        word = _WORD_BEFORE.search(text, max(0, i - 64), i + 1)
        return bool(word) and word.group() in _KEYWORDS_BEFORE_EXPR
    return True  # after an operator, punctuation, '{' or '}'


def _skeleton(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(spans that are not code, line comments) — strings, comments, templates, regexes."""
    spans: list[tuple[int, int]] = []
    line_comments: list[tuple[int, int]] = []
    braces: list[int] = []  # open braces inside each template substitution
    pos, n = 0, len(text)
    while pos < n:
        pos = (_PLAIN_IN_TEMPLATE if braces else _PLAIN).match(text, pos).end()
        if pos >= n:
            break
        c = text[pos]
        start = pos
        if c in "'\"":
            pos = _STRING[c].match(text, pos).end()
        elif c == "/":
            nxt = text[pos + 1:pos + 2]
            if nxt == "/":
                pos = _LINE_COMMENT.match(text, pos).end()
                line_comments.append((start, pos))
            elif nxt == "*":
                pos = _BLOCK_COMMENT.match(text, pos).end()
            elif _regex_allowed(text, pos):
                pos = _REGEX.match(text, pos).end()
            else:
                pos += 1
                continue
        elif c == "{":
            braces[-1] += 1
            pos += 1
            continue
        elif c == "}" and braces[-1] > 0:
            braces[-1] -= 1
            pos += 1
            continue
        else:  # a backtick, or the '}' that ends a template substitution
            if c == "}":
                braces.pop()
            pos = _TEMPLATE_CHUNK.match(text, pos + 1).end()
            if text.startswith("${", pos):
                braces.append(0)
                pos += 2
            elif pos < n:
                pos += 1
        spans.append((start, pos))
    return spans, line_comments


def _in_spans(spans: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _tokens_from(text: str, pos: int, limit: int = 1 << 16):
    """Significant tokens from *pos* on (whitespace and comments skipped)."""
    for _ in range(limit):
        m = _TOKEN.match(text, pos)
        if not m:
            return
        pos = m.end()
        if m.lastgroup not in ("ws", "comment"):
            yield m


def scan(text: str) -> Scan:
    """Module specifiers (static and dynamic ``import``, ``export … from``) and source maps."""
    result = Scan()
    if not _HINTS.search(text):
        return result
    lines = LineIndex(text)
    spans, line_comments = _skeleton(text)
    starts = [s for s, _ in spans]
    for start, end in line_comments:
        sm = _SOURCEMAP.search(text, start, end)
        if sm:
            result.refs.append(Ref(sm.start(1), sm.end(1), sm.group(1), "sourcemap",
                                   lines.line(start)))
    for kw in _KEYWORD.finditer(text):
        if _in_spans(spans, starts, kw.start()) or text[max(0, kw.start() - 2):kw.start()] == "?.":
            continue
        toks = _tokens_from(text, kw.end())
        spec, module = _specifier(kw.group(), toks)
        result.is_module = result.is_module or module
        if spec is not None:
            s, e = spec.start() + 1, spec.end() - 1
            result.refs.append(Ref(s, e, text[s:e], "module", lines.line(s)))
    result.refs.sort(key=lambda r: r.start)
    return result


def _specifier(keyword: str, toks) -> tuple[re.Match | None, bool]:
    """The specifier string after an import/export keyword, and whether the statement
    makes the file a module."""
    first = next(toks, None)
    if first is None:
        return None, False
    if keyword == "import":
        if first.lastgroup == "string":  # import './side-effect.js'
            return first, True
        if first.group() == "(":  # import('./lazy.js')
            arg, close = next(toks, None), next(toks, None)
            if arg is not None and arg.lastgroup == "string" and close is not None and close.group() in ",)":
                return arg, False
            return None, False
        if first.group() == ".":  # import.meta
            return None, True
        if first.lastgroup != "name" and first.group() not in ("{", "*"):
            return None, False
        return _from_clause(first, toks), True
    if first.group() in ("{", "*"):
        return _from_clause(first, toks), True
    return None, first.lastgroup == "name" or first.group() == "{"


def _from_clause(first: re.Match, toks) -> re.Match | None:
    """Follow `x, {a as b} from` / `* as ns from` up to the specifier string.

    A clause has no length limit, but it ends where it cannot go on: after its `{...}`
    only `from` may come, and `import`/`export` outside braces start the next statement
    (so `export { a }` then `import c from` is two statements, and reading stays linear).
    """
    depth = 0
    tok = first
    closed = False  # a {...} list has ended: `from` must come next
    while tok is not None:
        text = tok.group()
        if depth == 0 and (closed or text in ("import", "export")) and text != "from":
            return None
        if text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
            if depth < 0:
                return None
            closed = depth == 0
        elif depth == 0 and text == "from" and tok.lastgroup == "name":
            nxt = next(toks, None)
            if nxt is not None and nxt.lastgroup == "string":
                return nxt
            if nxt is None or nxt.group() != ",":
                return None
        elif tok.lastgroup not in ("name", "string") and text not in (",", "*"):
            return None
        tok = next(toks, None)
    return None


class Unminifiable(ValueError):
    """A script that minifying could change, so it is kept as written."""


_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_SUBSTITUTION_STEP = re.compile(r"[^{}'\"`/]*")
_ESCAPE = r"\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})"
_NAME_ESCAPE = re.compile(_ESCAPE)
_NAME_REST = re.compile(r"(?:[\w$\u0080-\U0010ffff]|" + _ESCAPE + ")*")
_SPACED_ESCAPE = re.compile(r"\s" + _ESCAPE + "|" + _ESCAPE + r"\s")
_SPACED_DOT = re.compile(r"[0-9][ \t\n\r]+\.")
_HTML_COMMENT = re.compile(r"<!--|-->")


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
    """Cheap tests: False when *text* surely holds nothing rjsmin gets wrong, so the
    skeleton need not be built."""
    return (("`" in text and "${" in text and _may_nest_templates(text))
            or ("\\u" in text and _SPACED_ESCAPE.search(text) is not None)
            or "<!--" in text or "-->" in text
            or _SPACED_DOT.search(text) is not None
            or ("/*" in text and _has_inline_multiline_comment(text)))


def _fragile_edits(text: str) -> list[tuple[int, int, str | None]]:
    """Edits that make *text* safe for rjsmin: (start, end, None) to hide a span from it,
    (start, end, replacement) to rewrite one. Raises Unminifiable when none would do.

    rjsmin reads a template literal as a plain backtick string, so a template nested in
    another's ${...} (or a backtick in a string there) has its inside minified as code; it
    drops the space before an identifier written with a \\u escape and between ``1`` and
    ``.toString()``; and it removes a comment that spans lines, which ends a statement.
    """
    spans, _ = _skeleton(text)
    starts = [s for s, _ in spans]
    edits: list[tuple[int, int, str | None]] = []
    depth, outer, nested = 0, 0, False  # open template substitutions, where the outer began
    for start, end in spans:
        piece = text[start:end]
        if piece[0] == "`":
            if depth == 0:
                outer, nested = start, False
            else:
                nested = True
            depth += piece.endswith("${")
        elif piece[0] == "}":  # a template continues after a substitution
            if not piece.endswith("${"):
                depth -= 1
                if depth == 0 and nested:
                    edits.append((outer, end, None))
        elif depth:
            nested = nested or "`" in piece
        elif piece.startswith("/*") and not piece.startswith("/*!") and _LINE_BREAK.search(piece):
            edits.append((start, end, "\n"))

    def in_code(pos: int) -> bool:
        return not _in_spans(spans, starts, pos)

    last = -1
    for m in _NAME_ESCAPE.finditer(text):
        if m.start() < last or not in_code(m.start()):
            continue
        word = _WORD_BEFORE.search(text, max(0, m.start() - 64), m.start())
        begin = word.start() if word else m.start()
        last = _NAME_REST.match(text, m.start()).end()
        edits.append((begin, last, None))
    for m in _SPACED_DOT.finditer(text):
        digits = re.search(r"[0-9_]+$", text[max(0, m.start() - 64):m.start() + 1])
        begin = m.start() + 1 - len(digits.group())
        if in_code(m.start()) and not (begin and (text[begin - 1] in ".$_" or text[begin - 1].isalnum())):
            edits.append((begin, m.end() - 1, None))  # keep '1 .x' from becoming '1.x'
    for m in _HTML_COMMENT.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if in_code(m.start()) and (m.group() == "<!--" or not text[line_start:m.start()].strip()):
            line = text.count("\n", 0, m.start()) + 1
            raise Unminifiable(f"line {line} has an HTML-like comment '{m.group()}', which "
                               "minifying could turn into code or let hide the next line")
    return edits


def minify(text: str) -> str:
    """rjsmin with /*! license */ comments kept, and kept from changing what code does.

    Spans rjsmin would get wrong are swapped for placeholder names while it runs.
    Raises Unminifiable for scripts that cannot be minified safely.
    """
    edits = _fragile_edits(text) if _may_be_fragile(text) else []
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
