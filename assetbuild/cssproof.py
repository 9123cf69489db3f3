"""Proof that a minified stylesheet means what its source meant.

rcssmin removes white space, comments and the last ``;`` of a block. Both texts are
reduced to a shape: strings kept whole (in a list) and standing as one marker, comments
dropped (or, between two characters that would join into one token, kept as a joining
mark), each run of white space kept as one space where it may be a token of its own (a
descendant combinator: ``a :hover``, ``a .b``; between values: ``1px solid``, ``1px + 2px``;
``) and (``) and dropped next to ``{ } ; , >`` ``~`` and ``!``, after ``:`` and ``(``, before
``)``; and ``;}`` read as ``}``. The shapes must be equal; where a character pair cannot
tell, the space counts, so a proof can fail (the file is then kept as written) but a
changed stylesheet never passes.
"""

from __future__ import annotations

import re

from assetbuild.css import COMMENT_OR_STRING

STRING, _JOIN = "\x01", "\x04"

_WHITE = re.compile(r"[ \t\r\n\f]+")
_DROPPED = re.compile(r" (?:(?=[{};,)>~!])|(?<=[{};,:(>~!] ))")
_SPACE_COLON = re.compile(" :")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_%#.\\")


class Unprovable(ValueError):
    """A text the shape cannot be made of."""


def shape(text: str) -> tuple[str, list[str]]:
    """(the code with each gap reduced to what it decides, the strings in order)."""
    if STRING in text or _JOIN in text:
        raise Unprovable("it holds ASCII control characters")
    pieces: list[str] = []
    strings: list[str] = []
    pos = 0
    for m in COMMENT_OR_STRING.finditer(text):
        start, end = m.span()
        pieces.append(text[pos:start])
        if text.startswith("/*", start):  # nothing, unless it keeps two words apart
            before = text[start - 1:start]
            if before in _WORD and text[end:end + 1] in _WORD and before and end < len(text):
                pieces.append(_JOIN)
        else:
            pieces.append(STRING)
            strings.append(m.group())
        pos = end
    pieces.append(text[pos:])
    code = _WHITE.sub(" ", "".join(pieces))
    code = _DROPPED.sub("", code).strip(" ")
    if " :" in code:  # a declaration's `color : red` (not a selector's `a :hover`)
        code = _SPACE_COLON.sub(lambda m: ":" if _in_declaration(code, m.start()) else " :", code)
    while ";}" in code:
        code = code.replace(";}", "}")
    return code, strings


def _in_declaration(code: str, space: int) -> bool:
    """Whether the `` :`` at *space* follows a property name (a word right after ``{`` or
    ``;``) and ends with ``;`` or ``}`` rather than opening a block."""
    start = space
    while start and (code[start - 1].isalnum() or code[start - 1] in "-_"):
        start -= 1
    if start == space or (start and code[start - 1] not in "{;"):
        return False
    ends = [i for i in (code.find(c, space) for c in "{;}") if i != -1]
    return bool(ends) and code[min(ends)] != "{"


def disproof(original: str, minified: str) -> str | None:
    """None when *minified* is proven to mean what *original* meant; else why not."""
    try:
        before, after = shape(original), shape(minified)
    except Unprovable as exc:
        return str(exc)
    if before == after:
        return None
    (code_a, _), (code_b, _) = before, after
    cut = next((i for i, (x, y) in enumerate(zip(code_a, code_b)) if x != y),
               min(len(code_a), len(code_b)))
    near = code_a[max(0, cut - 30):cut + 30].replace(STRING, "'…'").replace(_JOIN, "/**/")
    return f"minifying would change the stylesheet near {near!r}"
