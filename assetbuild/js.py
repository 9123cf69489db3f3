"""JavaScript: find ES module specifiers and sourceMappingURL comments, and minify.

Two passes, both linear. The first walks the text stopping only at quotes, slashes and
template braces, and records where strings, comments, template literals and regular
expressions lie (a slash is judged regex or division from the token before it, as the
language does), so that ``import`` inside any of them is never taken for a statement.
The second looks at each ``import``/``export`` keyword that lies in code and reads the
few tokens after it. Minifying is rjsmin, whose output is only used once jsproof has
proven it means what the source meant (minify_proven).
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import rjsmin

from assetbuild.charclass import ascii_or_any_beyond, match_end
from assetbuild.refs import LineIndex, Placeholders, Ref

# Repeats of groups are atomic groups, (?>(?:...)*), not (?:...)*+, which Python
# 3.11.0-3.11.4 let backtrack (CPython gh-106052; see css.py).

# Where the walk over code must stop: a whole string or comment (taken as one span), or a
# slash, backtick or (inside a template substitution) brace that Python decides about.
_STOP_ALTERNATIVES = "|".join([
    *(q + r"[^" + q + r"\\\n\r]*+(?>(?:\\.[^" + q + r"\\\n\r]*+)*)"  # a string, to its quote or line end
      + r"(?:" + q + r"|(?=[\n\r])|\\?\Z)" for q in "'\""),
    r"//[^\n\r\u2028\u2029]*+",
    r"/\*[^*]*+(?>(?:\*(?!/)[^*]*+)*)(?:\*/|\Z)",
])
_STOP = re.compile(r"[^'\"`/]*+(?:(" + _STOP_ALTERNATIVES + r"|[/`])|\Z)", re.S)
_STOP_IN_SUBSTITUTION = re.compile(r"[^'\"`/{}]*+(?:(" + _STOP_ALTERNATIVES + r"|[/`{}])|\Z)", re.S)
_REGEX = re.compile(r"/(?:[^\\/\[\n\r]|\\.|\[(?:[^\]\\\n\r]|\\.)*\]?)*/?[\w$]*", re.S)
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.S)
# A name: a letter, _, $ or a non-ASCII character, then those and digits.
_ASCII_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_$")
_NAME_START = ascii_or_any_beyond(string.ascii_letters + "_$")
_NAME_CHAR = ascii_or_any_beyond(_ASCII_NAME_CHARS)
_WORD_BEFORE = re.compile(_NAME_CHAR + "+$")
_SOURCEMAP = re.compile(r"//[#@][ \t]*sourceMappingURL=(\S+)[ \t]*\Z")

# A string literal that closes on its line (a backslash may continue it on the next).
_STRING_PATTERN = r"'(?>(?:[^'\\\n\r]++|\\.)*)'|" + r'"(?>(?:[^"\\\n\r]++|\\.)*)"'
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n\r\u2028\u2029]*|/\*.*?(?:\*/|\Z))
  | (?P<string>""" + _STRING_PATTERN + r""")
  | (?P<name>""" + _NAME_START + _NAME_CHAR + r"""*)
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


_SPACE = frozenset(" \t\r\n\f\v\u00a0\ufeff\u2028\u2029")
_STATEMENT_HEADS = frozenset(("if", "while", "for", "with"))
_OPERAND_AFTER = frozenset("!~+-*/%&|^<>")  # yield is no operand: here it is a name
_FAR = 1 << 62  # beyond any offset: (pos, _FAR) sorts after every span starting at pos


def _token_end_before(text: str, pos: int, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """(offset of the last character of the token before *pos*, index of the last span
    that ends at or before it): white space and comments stepped over."""
    i = pos - 1
    k = bisect.bisect_left(spans, (pos,)) - 1
    while True:
        while i >= 0 and text[i] in _SPACE:
            i -= 1
        while k >= 0 and spans[k][0] > i:
            k -= 1
        if k >= 0 and spans[k][1] == i + 1 and text.startswith(("//", "/*"), spans[k][0]):
            i = spans[k][0] - 1  # a comment: step over it
            continue
        return i, k


def _in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    """Whether *pos* lies inside one of *spans* (sorted, not overlapping)."""
    k = bisect.bisect_right(spans, (pos, _FAR)) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _regex_allowed(text: str, pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a slash at *pos* starts a regular expression, judged by the token before
    it (*spans*: the strings, comments, templates and regexes before *pos*)."""
    i, k = _token_end_before(text, pos, spans)
    if i < 0:
        return True
    if k >= 0 and spans[k][1] == i + 1:  # a string, template or regex ends here
        return text.endswith("${", spans[k][0], i + 1)  # only a substitution opens here
    c = text[i]
    if c == ")":
        return _closes_statement_head(text, i, spans)
    if c == "}":
        return not _closes_object(text, i, spans)
    if c == "]":
        return False
    if c == "+" or c == "-":  # after a postfix ++ or --, a division
        return not (i and text[i - 1] == c)
    if c.isalnum() or c in "_$" or ord(c) > 127:
        word = _word_ending_at(text, i)
        if not word or word.group() not in _KEYWORDS_BEFORE_EXPR:
            return False
        before, _ = _token_end_before(text, word.start(), spans)
        if before >= 0 and text[before] == ".":  # a property: a.return / 2
            return False
        if word.group() == "of":  # a keyword only after the binding of a for-of head
            return before >= 0 and (_is_name_char(text[before]) or text[before] in "]}")
        if word.group() == "yield":  # a name where an operator wants an operand: -yield / 2
            return not (before >= 0 and text[before] in _OPERAND_AFTER)
        return True
    return True  # after an operator, punctuation, '{' or a block's '}'


def _word_ending_at(text: str, end: int) -> re.Match | None:
    """The name whose last character is at *end*, if any."""
    return _WORD_BEFORE.search(text, max(0, end - 64), end + 1)


def _after_dot(text: str, pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the name at *pos* is a property (``a.return``, ``a?.delete``)."""
    i, _ = _token_end_before(text, pos, spans)
    return i >= 0 and text[i] == "."


def _opening(text: str, close: int, spans: list[tuple[int, int]]) -> int:
    """Where the bracket that the ``)`` or ``}`` at *close* closes opens; -1 when not found
    (or too far back to look)."""
    shut, opener = text[close], "(" if text[close] == ")" else "{"
    depth, i = 1, close
    for _ in range(4096):
        opening, closing = text.rfind(opener, 0, i), text.rfind(shut, 0, i)
        if opening == -1:
            return -1
        i = max(opening, closing)
        if _in_spans(spans, i):
            continue
        depth += 1 if i == closing else -1
        if depth == 0:
            return i
    return -1


# Before a '{' that opens an object literal (not a block): an operator or a word that wants
# an expression.
_EXPRESSION_BEFORE = frozenset("=(,[?!~+-*/%&|^<>")
_WORDS_BEFORE_OBJECT = frozenset("return typeof instanceof in of new delete void throw case yield await".split())


def _closes_object(text: str, close: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the ``}`` at *close* ends an object literal (a division may follow it), not a
    block (after which a slash starts a regular expression)."""
    opening = _opening(text, close, spans)
    if opening == -1:
        return False
    end, k = _token_end_before(text, opening, spans)
    if end < 0:
        return False
    if k >= 0 and spans[k][1] == end + 1:  # a literal: `${ {a} }` or invalid code
        return text.endswith("${", spans[k][0], end + 1)
    c = text[end]
    if c == ">" and end and text[end - 1] == "=":  # an arrow function's body
        return False
    if c in _EXPRESSION_BEFORE:
        return True
    if _is_name_char(c):
        word = _word_ending_at(text, end)
        return word is not None and word.group() in _WORDS_BEFORE_OBJECT
    return False


def _closes_statement_head(text: str, close: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the ``)`` at *close* ends the head of ``if``, ``while``, ``for`` or
    ``with`` (then a slash after it starts a regular expression, not a division)."""
    i = _opening(text, close, spans)
    if i == -1:  # past what is worth looking at: a regex, the reading the proof can afford
        return True
    end, _ = _token_end_before(text, i, spans)
    word = _word_ending_at(text, end)
    if not word or _after_dot(text, word.start(), spans):
        return False
    if word.group() == "await":  # for await (...)
        end, _ = _token_end_before(text, word.start(), spans)
        word = _word_ending_at(text, end)
        return word is not None and word.group() == "for"
    return word.group() in _STATEMENT_HEADS


Skeleton = tuple[list[tuple[int, int]], list[tuple[int, int]]]
Edit = tuple[int, int, str | None]  # hide (replacement None) or rewrite a span


def _skeleton(text: str, stop: int | None = None) -> Skeleton:
    """(spans that are not code, line comments) — strings, comments, templates, regexes.

    With *stop*, the walk ends at the first span starting after it: the spans are then
    complete up to *stop*, which is all that judging offsets up to there needs.
    """
    spans: list[tuple[int, int]] = []
    line_comments: list[tuple[int, int]] = []
    braces: list[int] = []  # open braces inside each template substitution
    pos, n = 0, len(text)
    stop = n if stop is None else stop
    append = spans.append
    if text.startswith("#!"):  # a hashbang line (node scripts) is a comment
        line_end = LINE_BREAK.search(text)
        pos = line_end.start() if line_end else n
        spans.append((0, pos))
    while pos < n:  # each round runs until a regex or template moves pos past a match
        for m in (_STOP_IN_SUBSTITUTION if braces else _STOP).finditer(text, pos):
            span = m.span(1)
            start = span[0]
            if start == -1 or start > stop:  # the end of the text, or of what is needed
                return spans, line_comments
            c = text[start]
            if c == '"' or c == "'":  # the most common stop first
                append(span)
            elif c == "/":
                if span[1] - start > 1:  # a comment
                    append(span)
                    if text[start + 1] == "/":
                        line_comments.append(span)
                elif _regex_allowed(text, start, spans):
                    pos = match_end(_REGEX, text, start)
                    append((start, pos))
                    break
            elif c == "{":
                braces[-1] += 1
            elif c == "}" and braces[-1] > 0:
                braces[-1] -= 1
            else:  # a backtick starts a template, or a '}' goes on with one
                pos = _template_chunk_end(text, start, braces)
                append((start, pos))
                break
        else:
            break
    return spans, line_comments


def comment_spans(text: str, skeleton: Skeleton | None = None) -> list[tuple[int, int]]:
    """(start, end) of each comment of a script, in order (a *skeleton* of the whole text
    saves the walk)."""
    return [(s, e) for s, e in (skeleton or _skeleton(text))[0]
            if text.startswith(("//", "/*"), s)]


def _template_chunk_end(text: str, start: int, braces: list[int]) -> int:
    """Where the template text from the backtick or '}' at *start* ends: after its closing
    backtick, or after a ``${`` (which opens a substitution on *braces*)."""
    if text[start] == "}":
        braces.pop()
    pos = match_end(_TEMPLATE_CHUNK, text, start + 1)
    if text.startswith("${", pos):
        braces.append(0)
        return pos + 2
    return pos + 1 if pos < len(text) else pos


def _tokens_from(text: str, pos: int, limit: int = 1 << 16) -> Iterator[re.Match[str]]:
    """Significant tokens from *pos* on (whitespace and comments skipped)."""
    for _ in range(limit):
        m = _TOKEN.match(text, pos)
        if not m:
            return
        pos = m.end()
        if m.lastgroup not in ("ws", "comment"):
            yield m


def _is_name_char(c: str) -> bool:
    """Whether *c* can be part of a name (every non-ASCII character counts as one)."""
    return c in _ASCII_NAME_CHARS or c > "\x7f"


def _keyword_offsets(text: str) -> list[int]:
    """Offsets of the words ``import`` and ``export``, in order: not where they are part of
    a longer name (``exports``, ``$import``, ``importé``) or a property (``.export``).

    Plain string searches with a look at the neighbours: a regex with look-behind took
    seconds on large files.
    """
    found = []
    for word in ("import", "export"):  # neither overlaps itself or the other
        pos = text.find(word)
        while pos != -1:
            end = pos + len(word)
            if not (pos and (text[pos - 1] == "." or _is_name_char(text[pos - 1]))
                    or end < len(text) and _is_name_char(text[end])):
                found.append(pos)
            pos = text.find(word, end)
    found.sort()
    return found


def scan(text: str, skeleton: Skeleton | None = None) -> Scan:
    """Module specifiers (static and dynamic ``import``, ``export … from``), source maps
    and the URLs of ``new URL('…', import.meta.url)``.

    Each keyword is first read as if it were code. The walk over strings and comments
    (the costly part) then only needs to reach the last keyword that would give a
    specifier: ``export { a };`` at the end of a module cannot, and so cannot be the
    reason to walk the whole file. A *skeleton* of the whole text (from skeleton(), which
    minifying needs anyway) saves the walk.
    """
    result = Scan()
    keywords = _keyword_offsets(text)
    last_map = text.rfind("sourceMappingURL")
    if not keywords and last_map == -1:
        return result
    budget = _Budget(len(text) // 2 + 64)
    read = {}  # keyword -> (specifier, makes a module) when read as code without doubt
    for kw in keywords:
        found = _specifier(text[kw:kw + 6], _tokens_within(text, kw + 6, budget))
        if not budget.cut:
            read[kw] = found
    needed = [kw for kw in keywords if kw not in read or read[kw][0] is not None]
    worker_urls = _new_url_candidates(text)
    lines = LineIndex(text)
    if skeleton is None:
        stop = max(needed[-1] if needed else -1, last_map,
                   worker_urls[-1].start() if worker_urls else -1)
        spans, line_comments = _skeleton(text, stop=stop)
    else:
        stop = len(text)  # complete: never walked on below
        spans, line_comments = skeleton
    for start, end in line_comments:
        sm = _SOURCEMAP.search(text, start, end)
        if sm:
            result.refs.append(Ref(sm.start(1), sm.end(1), sm.group(1), "sourcemap",
                                   lines.line(start)))
    for kw in needed:
        if _in_spans(spans, kw):
            continue
        spec, module = read.get(kw) or _specifier(text[kw:kw + 6], _tokens_from(text, kw + 6))
        result.is_module = result.is_module or module
        if spec is not None:
            s, e = spec.start() + 1, spec.end() - 1
            result.refs.append(Ref(s, e, text[s:e], "module", lines.line(s)))
    result.refs += [Ref(m.start(1) + 1, m.end(1) - 1, m.group(1)[1:-1], "url",
                        lines.line(m.start(1))) for m in worker_urls
                    if not _in_spans(spans, m.start())]
    makers = [kw for kw, (spec, module) in read.items() if module and spec is None]
    walked_on = False
    for kw in makers if not result.is_module else ():  # `export const`, `import.meta`
        if kw > stop:  # walk on: to this keyword, or (the second time) to the end
            stop = len(text) if walked_on else kw
            walked_on = True
            spans = _skeleton(text, stop=stop)[0]
        if not _in_spans(spans, kw):
            result.is_module = True
            break
    result.refs.sort(key=lambda r: r.start)
    return result


_NEW_URL = re.compile(r"""new[ \t\n\r]+URL[ \t\n\r]*\([ \t\n\r]*('[^'\\\n\r]*'|"[^"\\\n\r]*")"""
                      r"[ \t\n\r]*,[ \t\n\r]*import[ \t\n\r]*\.[ \t\n\r]*meta[ \t\n\r]*\."
                      r"[ \t\n\r]*url[ \t\n\r]*\)")


def _new_url_candidates(text: str) -> list[re.Match]:
    """Each ``new URL('./file.js', import.meta.url)`` with a plain string literal (a
    worker, a wasm file), in order; whether it lies in code is for the caller to judge."""
    if "URL" not in text:
        return []
    return [m for m in _NEW_URL.finditer(text)
            if not (m.start() and (text[m.start() - 1] == "." or _is_name_char(text[m.start() - 1])))]


class _Budget:
    """How many tokens the first reading of keywords may still take (bounded, so that
    keywords inside long comments or strings cannot make it quadratic). ``cut`` says the
    last reading stopped early: at a comment or when the budget ran out."""

    def __init__(self, tokens: int):
        self.left = tokens
        self.cut = False


def _tokens_within(text: str, pos: int, budget: _Budget,
                   limit: int = 1 << 16) -> Iterator[re.Match[str]]:
    """Like _tokens_from, within *budget*; stops (setting ``budget.cut``) at a comment."""
    budget.cut = False
    for _ in range(limit):
        if budget.left <= 0:
            break
        m = _TOKEN.match(text, pos)
        if not m:
            return
        budget.left -= 1
        pos = m.end()
        kind = m.lastgroup
        if kind == "comment":
            break
        if kind != "ws":
            yield m
    else:
        return  # the same limit as _tokens_from: the same reading
    budget.cut = True


def _specifier(keyword: str, toks: Iterator[re.Match[str]]) -> tuple[re.Match[str] | None, bool]:
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


def _from_clause(first: re.Match[str], toks: Iterator[re.Match[str]]) -> re.Match[str] | None:
    """Follow `x, {a as b} from` / `* as ns from` up to the specifier string.

    A clause has no length limit, but it ends where it cannot go on: after its `{...}`
    only `from` may come, and `import`/`export` outside braces start the next statement
    (so `export { a }` then `import c from` is two statements, and reading stays linear).
    """
    depth = 0
    tok: re.Match[str] | None = first
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


LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_ESCAPE = r"\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})"
_NAME_ESCAPE = re.compile(_ESCAPE)
_NAME_REST = re.compile(r"(?:" + _NAME_CHAR + "|" + _ESCAPE + ")*")
_DOT_AFTER_SPACE = re.compile(r"\.(?<=[ \t\n\r]\.)")  # a literal first: fast to search
_HTML_COMMENT = re.compile(r"<!--|-->")


def _spaced_dots(text: str) -> Iterator[tuple[int, int]]:
    """(start, dot) of each number written in digits (``1``, ``1_000``) that white space
    and a dot follow (``1 .x``), where rjsmin would make ``1.x``: not when the digits end a
    name or a number with a point (``a1 .x``, ``1.5 .x``: ``a1.x`` is fine), nor when
    the dot starts a number (``32 .5``, as in SVG path data: never valid code)."""
    n = len(text)
    for m in _DOT_AFTER_SPACE.finditer(text):
        dot = m.start()
        if dot + 1 < n and text[dot + 1] in "0123456789":
            continue
        before = dot - 1
        while before >= 0 and text[before] in " \t\n\r":
            before -= 1
        if before < 0 or text[before] not in "0123456789":
            continue
        start = before
        while start and text[start - 1] in "0123456789_":
            start -= 1
        if not (start and (text[start - 1] in ".$" or text[start - 1].isalnum())):
            yield start, dot


def skeleton(text: str) -> Skeleton:
    """Where the strings, comments, templates and regexes of *text* lie (a full walk)."""
    return _skeleton(text)


def fragile_edits(text: str, skeleton: Skeleton | None = None) -> list[Edit]:
    """Edits that make *text* safe for rjsmin: (start, end, None) to hide a span from it,
    (start, end, replacement) to rewrite one. Raises Unminifiable when none would do.

    rjsmin reads a template literal as a plain backtick string, so a template nested in
    another's ${...} (or a backtick in a string there) has its inside minified as code; it
    drops the space before an identifier written with a \\u escape and between ``1`` and
    ``.toString()``; and it removes a comment that spans lines, which ends a statement.
    """
    spans = (skeleton or _skeleton(text))[0]

    def in_code(pos: int) -> bool:
        return not _in_spans(spans, pos)

    edits = _span_edits(text, spans)
    edits += _escaped_name_edits(text, in_code)
    edits += _spaced_dot_edits(text, in_code)
    if "<!--" in text or "-->" in text:
        _refuse_html_comments(text, in_code)
    return edits


def _span_edits(text: str, spans: list[tuple[int, int]]) -> list[Edit]:
    """Hide templates that nest another template, and turn block comments that span lines
    (but are not /*! kept */) into a line break."""
    edits: list[Edit] = []
    depth, outer, nested = 0, 0, False  # open template substitutions, where the outer began
    for start, end in spans:
        first = text[start]
        if first == "`":
            if depth == 0:
                outer, nested = start, False
            else:
                nested = True
            depth += _opens_substitution(text, start, end)
        elif first == "}":  # a template continues after a substitution
            if not _opens_substitution(text, start, end):
                depth -= 1
                if depth == 0 and nested:
                    edits.append((outer, end, None))
        elif depth:
            nested = nested or text.find("`", start, end) != -1
        elif (text.startswith("/*", start, end) and not text.startswith("/*!", start, end)
              and LINE_BREAK.search(text, start, end)):
            edits.append((start, end, "\n"))
    return edits


def _opens_substitution(text: str, start: int, end: int) -> bool:
    """Whether the template span text[start:end] ends with ``${``."""
    return text.startswith("${", max(start, end - 2), end)


def _escaped_name_edits(text: str, in_code: Callable[[int], bool]) -> list[tuple[int, int, None]]:
    """Hide each name written with a \\u escape, so rjsmin keeps the space before it."""
    edits: list[tuple[int, int, None]] = []
    last = -1
    for m in _NAME_ESCAPE.finditer(text):
        if m.start() < last or not in_code(m.start()):
            continue
        word = _WORD_BEFORE.search(text, max(0, m.start() - 64), m.start())
        begin = word.start() if word else m.start()
        last = match_end(_NAME_REST, text, m.start())
        edits.append((begin, last, None))
    return edits


def _spaced_dot_edits(text: str, in_code: Callable[[int], bool]) -> list[tuple[int, int, None]]:
    """Hide ``1 `` before ``.x``, which rjsmin would make ``1.x`` (a syntax error)."""
    return [(start, dot, None) for start, dot in _spaced_dots(text) if in_code(start)]


def _refuse_html_comments(text: str, in_code: Callable[[int], bool]) -> None:
    """Raise Unminifiable for an HTML-like comment in code, which minifying could turn into
    code or let hide the next line."""
    for m in _HTML_COMMENT.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if in_code(m.start()) and (m.group() == "<!--" or not text[line_start:m.start()].strip()):
            line = text.count("\n", 0, m.start()) + 1
            raise Unminifiable(f"line {line} has an HTML-like comment '{m.group()}', which "
                               "minifying could turn into code or let hide the next line")


def careful_edits(text: str, skeleton: Skeleton) -> list[Edit]:
    """fragile_edits, and every regular expression literal and private name hidden too:
    for a second try after rjsmin's plain output failed the proof. rjsmin takes a regex
    after ``=>`` or ``)`` for code, and drops the line break before a ``#name`` class
    field."""
    spans = skeleton[0]
    edits = fragile_edits(text, skeleton)
    edits += [(start, end, None) for start, end in spans
              if text[start] == "/" and not text.startswith(("//", "/*"), start)]
    pos = text.find("#")
    while pos != -1:
        if not _in_spans(spans, pos):
            edits.append((pos, pos + 1, None))
        pos = text.find("#", pos + 1)
    return edits


_python_jsmin: Callable[..., str] | None = None


def _jsmin(text: str, python_only: bool) -> str:
    """rjsmin, or its pure-Python build (the C one cuts some scripts short)."""
    global _python_jsmin
    if not python_only:
        return rjsmin.jsmin(text, keep_bang_comments=True)
    if _python_jsmin is None:
        _python_jsmin = rjsmin._make_jsmin(python_only=True)
    return _python_jsmin(text, keep_bang_comments=True)


def minify(text: str, edits: list[Edit] | None = None, python_only: bool = False) -> str:
    """rjsmin with /*! license */ comments kept, the spans of *edits* (careful_edits when
    None) swapped for placeholder names while it runs, or rewritten. Not checked: see
    minify_proven."""
    if edits is None:
        edits = careful_edits(text, _skeleton(text))
    if not edits:
        return _jsmin(text, python_only)
    holders = Placeholders.for_text(text, "abjs")
    pieces: list[str] = []
    held: list[str] = []
    pos = 0
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
    return holders.restore(_jsmin("".join(pieces), python_only), held)


# White space rjsmin keeps where no statement can end and no tokens join: a line break
# before ( [ and a lone + or -, after a lone + or -, a blank line's second, and a space
# between return and a template literal. Without it, its output is more often a rendering
# of the source's shape, which one comparison proves. Backtick spans are matched so that
# they are skipped: rjsmin leaves template literals as they are.
_LOOSE_WHITE = re.compile(r"`[^`]*`|\n(?:(?=[+-](?![+-])|[(\[\n])|(?<=[^+-][+-]\n))"
                          r"| (?=`)(?<=[^\w$]return )")


def _without_loose_white(out: str) -> str:
    """rjsmin's *out* without the white space of _LOOSE_WHITE."""
    return _LOOSE_WHITE.sub(lambda m: m.group() if m.group()[0] == "`" else "", out)


def minify_proven(text: str, skeleton: Skeleton,
                  attempt: Callable[[list[Edit], bool], str] | None = None,
                  show: Callable[[str], str] | None = None) -> str:
    """Minified *text*, proven to mean the same (jsproof), else Unminifiable.

    First rjsmin as it is, then with the spans it gets wrong hidden from it (careful_edits),
    each output checked the cheap way (is it a rendering of the source's shape?); then the
    full proof for those outputs; then rjsmin's pure-Python build (the C one cuts some
    scripts short). *attempt* (edits, python_only) -> output and *show* (output -> the text
    the proof must see) let a caller minify a text whose references stand as placeholders.
    """
    from assetbuild import jsproof  # only here: scanning alone never needs it

    if attempt is None:
        def attempt(edits: list[Edit], python_only: bool) -> str:
            return minify(text, edits, python_only)
    shown = show or (lambda out: out)
    proof = jsproof.Proof(text, skeleton[0])

    def rendering(out: str) -> str | None:
        """*out*, or *out* without its loose white space, when it renders the shape. The
        shortest text (rendering 0) is tried first for both: the other costs more to make."""
        plain = shown(out)
        if proof.renders(plain, (0,)):
            return out
        squeezed = _without_loose_white(out)
        if squeezed == out:
            return out if proof.renders(plain, (1,)) else None
        plain_squeezed = shown(squeezed)
        for candidate, its_plain, which in ((squeezed, plain_squeezed, (0,)), (out, plain, (1,)),
                                            (squeezed, plain_squeezed, (1,))):
            if proof.renders(its_plain, which):
                return candidate
        return None

    def disproof(out: str) -> str | None:
        plain = shown(out)
        return proof.disproof(plain, lambda: _skeleton(plain)[0])

    first = None
    if "<!--" not in text and "-->" not in text:  # else fragile_edits decides
        first = attempt([], False)
        found = rendering(first)
        if found is not None:
            return found
    edits = careful_edits(text, skeleton)
    careful = attempt(edits, False)
    found = rendering(careful)
    if found is not None:
        return found
    for out in (first, careful):  # the full proof, where the cheap one could not tell
        if out is not None and disproof(out) is None:
            return out
    out = attempt(edits, True)  # the C build cuts some scripts short; the Python one does not
    why = disproof(out)
    if why is not None:
        raise Unminifiable(why)
    return out
