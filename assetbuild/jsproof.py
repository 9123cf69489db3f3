"""Proof that a minified script means what its source meant.

rjsmin only removes white space and comments, but it decides where a regular expression
starts, which white space keeps two tokens apart and which line break ends a statement
with rules of its own, and sometimes wrongly. So its output is never trusted: both texts
are reduced to a *shape* in which everything that cannot change what the code does is
gone, and the shapes must be equal.

A shape is made from a text and its skeleton (js.skeleton): strings, template chunks and
regular expressions are kept whole, in a list, and stand in the code as one marker
character each; comments count as white space (as a line break when they span lines).
Then each gap between two code characters is reduced to what it decides:

- nothing, where the characters could not join into one token and no statement can end;
- a joining space, where removing it would join two tokens (``a b``, ``a - -b``,
  ``1 .x``, ``/re/ g``);
- a line break, where one might end a statement (automatic semicolon insertion): after a
  character that can end an expression (a name, number, literal, ``)``, ``]``, ``}``,
  postfix ``++``/``--``) and before one that cannot continue it (a name, string, ``{``,
  ``!``, ``~``, ``#``, ``@``, ``++``/``--``); and after ``return``, ``throw``,
  ``break``, ``continue``, ``yield`` and ``async`` unless nothing can follow them.

Where two characters cannot tell, the gap counts: a minifier that drops it makes the proof
fail (the file is then kept as written); a wrong file never passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assetbuild.charclass import ascii_or_any_beyond
from assetbuild.js import LINE_BREAK

# Markers: ASCII control characters, which valid code outside literals never holds (a
# code region that does makes the marker counts disagree, and the proof fails).
STRING, TEMPLATE, REGEX, _JOIN, _BREAK = "\x01", "\x02", "\x03", "\x04", "\x05"
_LITERAL_MARKERS = f"[{STRING}{TEMPLATE}{REGEX}]"
_LITERAL_MARKER = re.compile(_LITERAL_MARKERS)
_AS_STRING_MARKER = str.maketrans(TEMPLATE + REGEX, STRING + STRING)
_KEPT_COMMENT = re.compile(r"/\*!.*?\*/", re.S)

_OTHER_WS = re.compile("[\u00a0\ufeff\u1680\u2000-\u200a\u202f\u205f\u3000]")
_OTHER_LT = re.compile("[\u2028\u2029]")
# Literal first characters, so that the regex engine stops only where they stand.
_AFTER_BREAK = re.compile(r"\n[ \n]+")
_SPACES = re.compile(r"  +")
_DELETE_SPACES = {ord(" "): None}

# Characters of names and numbers: ASCII letters, digits, _ and $, and (in a text that is
# not all ASCII) anything beyond ASCII that is not white space or a line break.
_ASCII_NAME = "[0-9A-Za-z_$]"
_NAME = (ascii_or_any_beyond("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")[:-1]
         + "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")
_NO_BREAK_AFTER = ("return", "throw", "break", "continue", "yield", "async")


def _gap_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(line breaks that may end a statement, spaces that keep two names apart) for the
    name-character class *name*. Each starts with the gap character, so that the regex
    engine only stops at gaps, and tries its cheapest test first."""
    def name_or(extra: str) -> str:
        if name.startswith("[^"):
            return "(?:" + name + "|[" + extra + "])"
        return "[" + name[1:-1] + extra + "]"

    starts = "(?=" + name_or("\\\\{!~#@" + STRING) + r"|\+\+|--|=>|<!)"
    ends = ("(?<=" + name_or(r")\]}" + STRING + TEMPLATE + REGEX) + r"\n)|(?<=\+\+\n|--\n)")
    restricted = "|".join(rf"(?<=[^$\w.]{word}\n)" for word in _NO_BREAK_AFTER)
    last_letters = "".join(sorted({word[-1] for word in _NO_BREAK_AFTER}))
    breaks = re.compile(rf"\n(?:{starts}(?:{ends})|(?<=[{last_letters}]\n)(?:{restricted})"
                        r"(?![;})\],:]))")
    joins = re.compile(" (?<=" + name_or(REGEX) + " )(?=" + name_or("\\\\") + ")")
    return breaks, joins


_ASCII_GAPS = _gap_patterns(_ASCII_NAME)
_GAPS = _gap_patterns(_NAME)
_OPERATOR_JOINS = (("+ +", "+" + _JOIN + "+"), ("- -", "-" + _JOIN + "-"), ("< !", "<" + _JOIN + "!"))
_DOT_SPACE_DIGIT = re.compile(r"\. (?=[0-9])")  # a. 5
# 1 .x: without the space, 1. is a number. The dot is matched so that the regex engine
# stops only at a space before a dot.
_DIGITS_SPACE_DOT = re.compile(r" \.(?<=[0-9] \.)")


class Unprovable(ValueError):
    """A text the shape cannot be made of."""


def shape(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[str]]:
    """(the code with each gap reduced to what it decides, the literals in order)."""
    pieces: list[str] = []
    literals: list[str] = []
    append, keep = pieces.append, literals.append
    marker_of = _MARKER_OF.get
    pos = 0
    for start, end in spans:
        append(text[pos:start])
        pos = end
        marker = marker_of(text[start], TEMPLATE)
        if marker is REGEX:
            second = text[start + 1:start + 2]
            if second == "/":  # a line comment: the line break after it is the gap
                continue
            if second == "*":
                append(_block_comment_gap(text, start, end))
                continue
        elif marker is None:  # a hashbang line: the line break after it is the gap
            continue
        append(marker)
        keep(text[start:end])
    append(text[pos:])
    code = "".join(pieces)
    if any(c in text for c in _MARKERS) and (
            sum(code.count(marker) for marker in (STRING, TEMPLATE, REGEX)) != len(literals)
            or _JOIN in code or _BREAK in code):
        raise Unprovable("it holds ASCII control characters outside strings")
    return _gaps(code), literals


# What a span stands as in the shape, by its first character: "/" also starts a comment,
# "#" a hashbang line, and any other a template chunk (after a backtick or the brace that
# closes a substitution).
_MARKER_OF = {"'": STRING, '"': STRING, "/": REGEX, "#": None}
_MARKERS = (STRING, TEMPLATE, REGEX, _JOIN, _BREAK)


def _block_comment_gap(text: str, start: int, end: int) -> str:
    """The white space the block comment text[start:end] stands for; raises Unprovable
    when it is never closed."""
    if end - start < 4 or not text.startswith("*/", end - 2):  # it runs to the text's end
        raise Unprovable("it has a comment that is never closed")
    return "\n" if LINE_BREAK.search(text, start, end) else " "


def _gaps(code: str) -> str:
    """*code* with each run of white space reduced to what it decides.

    Each pass is a regex with a literal first character or a plain replace, which scan
    at C speed; a test before a pass would cost a scan of its own."""
    ascii = code.isascii()
    for other in "\t\v\f":
        if other in code:
            code = code.replace(other, " ")
    if "\r" in code:
        code = code.replace("\r", "\n")
    if not ascii:
        code = _OTHER_LT.sub("\n", _OTHER_WS.sub(" ", code))
    code = _SPACES.sub(" ", _AFTER_BREAK.sub("\n", code)).replace(" \n", "\n")
    breaks, joins = _ASCII_GAPS if ascii else _GAPS
    code = breaks.sub(_BREAK, "\n" + code + "\n").replace("\n", " ")
    code = _DIGITS_SPACE_DOT.sub(
        lambda m: (_JOIN if _is_integer_before(code, m.start()) else " ") + ".", code)
    code = joins.sub(_JOIN, code)
    for spaced, joined in _OPERATOR_JOINS:  # a + +b, a - -b, a < !--b
        code = code.replace(spaced, joined)
    return _DOT_SPACE_DIGIT.sub("." + _JOIN, code).translate(_DELETE_SPACES)


def _is_integer_before(code: str, end: int) -> bool:
    """Whether the digits that end at *end* are a whole number literal (not ``a1``, ``1.5``,
    ``1e5``), which a dot right after would extend."""
    start = end
    while start and code[start - 1] in "0123456789_":
        start -= 1
    return not (start and (code[start - 1] in ".$_" or code[start - 1].isalnum()
                           or code[start - 1] > "\x7f"))


def _common_prefix(a: str, b: str) -> int:
    """How many first characters *a* and *b* share (halving slices: C-speed compares)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _first_difference(a: tuple[str, list[str]], b: tuple[str, list[str]]) -> int:
    """How many literals of shape *a* come before its first difference from *b*."""
    (code_a, lits_a), (code_b, lits_b) = a, b
    in_code = len(re.findall(_LITERAL_MARKERS, code_a[:_common_prefix(code_a, code_b)]))
    in_literals = next((i for i, (x, y) in enumerate(zip(lits_a, lits_b)) if x != y),
                       min(len(lits_a), len(lits_b)))
    return min(in_code, in_literals)


def render(shape_: tuple[str, list[str]]) -> str:
    """The shortest text of a shape: its literals put back, a joining space for a joining
    mark, a line break for a line break that may end a statement, nothing elsewhere."""
    return _unmarked(_marked(shape_), shape_)


def _marked(shape_: tuple[str, list[str]]) -> str:
    """The shortest text of a shape with its joining and line-break marks left in."""
    code, literals = shape_
    return _interleaved(_code_parts(code), literals)


def _unmarked(marked: str, shape_: tuple[str, list[str]]) -> str:
    """*marked* (_marked of *shape_*) with each mark as the white space it stands for. A
    literal may hold the marks' control characters too; then only the code's are replaced."""
    code, literals = shape_
    if marked.count(_JOIN) == code.count(_JOIN) and marked.count(_BREAK) == code.count(_BREAK):
        return _white(marked)
    return _interleaved([_white(part) for part in _code_parts(code)], literals)


def _code_parts(code: str) -> list[str]:
    """The code of a shape cut at its literal markers (a shape's code holds no others):
    one marker and a plain split, which is faster than a regex split."""
    return code.translate(_AS_STRING_MARKER).split(STRING)


def _interleaved(parts: list[str], literals: list[str]) -> str:
    """The code *parts* with the *literals* between them, joined."""
    pieces = [""] * (2 * len(parts) - 1)
    pieces[0::2] = parts
    pieces[1::2] = literals
    return "".join(pieces)


def _white(code: str) -> str:
    """*code* with each mark as the white space it stands for."""
    return code.replace(_JOIN, " ").replace(_BREAK, "\n")


def _without_kept_comments(text: str) -> tuple[str, list[int]]:
    """(*text* with each /*! comment */ as the white space it stands for, none at the
    start; where in that text each such white space stands)."""
    if "/*!" not in text:
        return text, []
    pieces: list[str] = []
    at: list[int] = []
    pos = length = 0
    for m in _KEPT_COMMENT.finditer(text):
        pieces.append(text[pos:m.start()])
        length += m.start() - pos
        at.append(length)
        pieces.append("\n" if LINE_BREAK.search(text, m.start(), m.end()) else " ")
        length += 1
        pos = m.end()
    pieces.append(text[pos:])
    joined = "".join(pieces)
    plain = joined.lstrip(" \n")  # a licence at the top: nothing before it to keep apart
    cut = len(joined) - len(plain)
    return plain, [p - cut for p in at if p >= cut]


class Proof:
    """Checks minified texts against one source, whose shape is made once."""

    def __init__(self, original: str, spans: list[tuple[int, int]]):
        self.original, self.spans = original, spans
        self._stripped = original.strip(" \t\n\r")  # what an unchanged text minifies to
        self._shape: tuple[str, list[str]] | Unprovable | None = None
        self._renderings: list[tuple[str, str] | None] = []

    def shape(self) -> tuple[str, list[str]]:
        """The source's shape; raises Unprovable."""
        if self._shape is None:
            try:
                self._shape = shape(self.original, self.spans)
            except Unprovable as exc:
                self._shape = exc
        if isinstance(self._shape, Unprovable):
            raise self._shape
        return self._shape

    def renders(self, minified: str, which: tuple[int, ...] = (0, 1)) -> bool:
        """Whether *minified* (but for the /*! comments rjsmin keeps, in code) is a
        rendering of the source's shape, which proves it: its shortest text (rendering 0),
        or that text with each template literal as written (rendering 1: rjsmin leaves
        template literals alone). Only the renderings in *which* are tried. False when it
        is not or cannot tell."""
        if minified == self._stripped:  # minified already: nothing changed
            return True
        plain, comments = _without_kept_comments(minified)
        for k in which:
            rendering = self._rendering(k)
            if rendering is None:
                continue
            marked, text = rendering
            if plain == text and all(marked[p] == _JOIN or marked[p] == _BREAK for p in comments):
                return True  # each kept comment stands where white space counts, in code
        return False

    def _rendering(self, k: int) -> tuple[str, str] | None:
        """The source shape's rendering *k* (0: the shortest text; 1: with its templates
        as written), marked and plain; None when there is none."""
        renderings = self._renderings
        if len(renderings) <= k:
            try:
                shape_ = self.shape()
            except Unprovable:
                return None
            if not renderings:
                marked = _marked(shape_)
                renderings.append((marked, _unmarked(marked, shape_)))
            if k == 1 and len(renderings) == 1:
                renderings.append(_with_templates_as_written(self.original, self.spans, shape_))
        return renderings[k]

    def disproof(self, minified: str, minified_spans: Callable[[], list[tuple[int, int]]]
                 ) -> str | None:
        """None when *minified* is proven to mean what the source meant; else where it may
        not, as a reason to show. *minified_spans* gives its skeleton's spans when needed.

        Most often it is a rendering of the source's shape, which one comparison proves;
        else its own shape must equal the source's."""
        if self.renders(minified):
            return None
        try:
            before = self.shape()
            after = shape(minified, minified_spans())
        except Unprovable as exc:
            return str(exc)
        if before == after:
            return None
        k = _first_difference(before, after)
        line = self.original.count("\n", 0, _literal_spans(self.original, self.spans)[k - 1][1]) + 1 \
            if k else 1
        return f"minifying would change the code after line {line}"


def _literal_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of *text*'s skeleton that stand as literals in its shape (not comments)."""
    return [s for s in spans if not text.startswith(("//", "/*", "#!"), s[0])]


def _with_templates_as_written(text: str, spans: list[tuple[int, int]],
                               shape_: tuple[str, list[str]]) -> tuple[str, str] | None:
    """The shortest text of *text*'s shape with each outermost template literal, its
    substitutions included, as *text* writes it; None when it has none or they do not
    pair up.

    It means what *text* means as the shortest text does: a template literal is one token
    whichever white space its substitutions hold, and only white space differs."""
    if "`" not in text:
        return None
    code, literals = shape_
    literal_spans = _literal_spans(text, spans)
    regions: list[tuple[int, int]] = []  # (first, last) literal of each outermost template
    depth, first = 0, -1
    for k, (start, _) in enumerate(literal_spans):
        opener = text[start]
        if opener != "`" and opener != "}":  # a string or regex
            continue
        if opener == "}":
            depth -= 1
        elif depth == 0:
            first = k
        chunk = literals[k]
        if chunk.endswith("${") and len(chunk) > 2:  # opens a substitution
            depth += 1
        elif not (chunk.endswith("`") and len(chunk) > 1):  # the text ends inside it
            return None
        if depth < 0:
            return None
        if depth == 0:
            regions.append((first, k))
    if depth or not regions:
        return None
    parts = _code_parts(code)
    marked, plain = [parts[0]], [_white(parts[0])]

    def add(literal: str, part: str) -> None:
        marked.extend((literal, part))
        plain.extend((literal, _white(part)))

    done = 0
    for first, last in regions:
        for k in range(done, first):
            add(literals[k], parts[k + 1])
        add(text[literal_spans[first][0]:literal_spans[last][1]], parts[last + 1])
        done = last + 1
    for k in range(done, len(literals)):
        add(literals[k], parts[k + 1])
    return "".join(marked), "".join(plain)


def disproof(original: str, original_spans: list[tuple[int, int]], minified: str,
             minified_spans: Callable[[], list[tuple[int, int]]]) -> str | None:
    """Proof(original, original_spans).disproof(minified, minified_spans)."""
    return Proof(original, original_spans).disproof(minified, minified_spans)
