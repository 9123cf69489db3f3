"""Source Map v3 for minified stylesheets and scripts.

rjsmin and rcssmin only drop white space and comments (rcssmin also a ``;`` before ``}``),
so every token of their output stands in their input, in the same order: walking both
texts side by side gives each output token its source line and column (``for_text``, in
the worker that minifies). Columns are right for the body with its reference
placeholders; ``finished`` moves those after each placeholder by the length its final
URL adds, and, when the source came with a map of its own, composes the two, so that the
map points at the original sources.
"""

from __future__ import annotations

import base64
import bisect
import json
import posixpath
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from assetbuild.refs import Placeholders, encode_path

Segment = tuple[int, ...]  # (column) or (column, source, line, column[, name]), absolute

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT = {c: i for i, c in enumerate(_B64)}
_VALUE = re.compile(r"[g-z0-9+/]*[A-Za-f]")  # continuation digits (32-63), then a last one
_MAPPINGS_CHARS = re.compile(r"[A-Za-z0-9+/,;]*")
_ATOM = re.compile(r"[\w$]+|\S")  # the units compared: a word, or one other character
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units: columns count units
_DATA_URL = re.compile(r"data:application/json[^,]*?(;base64)?,(.*)\Z", re.S | re.I)


class MapError(ValueError):
    """A source map that cannot be read."""


def _vlq(value: int) -> str:
    v = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while v > 31:
        out += _B64[(v & 31) | 32]
        v >>= 5
    return out + _B64[v]


_SMALL = [_vlq(i) for i in range(-1024, 1024)]


def _encode_value(value: int) -> str:
    return _SMALL[value + 1024] if -1024 <= value < 1024 else _vlq(value)


_decoded: dict[str, int] = {}


def _decode_value(text: str) -> int:
    value = _decoded.get(text)
    if value is None:
        v = 0
        for shift, c in enumerate(text):
            v |= (_DIGIT[c] & 31) << (5 * shift)
        value = -(v >> 1) if v & 1 else v >> 1
        if len(_decoded) < 1 << 16:
            _decoded[text] = value
    return value


def encode(lines: Sequence[Sequence[Segment]]) -> str:
    """The ``mappings`` string of segments given per generated line, sorted by column."""
    src = line = col = name = 0
    out = []
    known: dict[tuple[int, int, int, int], str] = {}  # most segments repeat a few steps
    for segments in lines:
        gen = 0
        parts = []
        for s in segments:
            if len(s) == 4:
                step = (s[0] - gen, s[1] - src, s[2] - line, s[3] - col)
                piece = known.get(step)
                if piece is None:
                    piece = known[step] = "".join(map(_encode_value, step))
                gen, src, line, col = s
                parts.append(piece)
                continue
            piece = _encode_value(s[0] - gen)
            gen = s[0]
            if len(s) == 5:
                piece += (_encode_value(s[1] - src) + _encode_value(s[2] - line)
                          + _encode_value(s[3] - col))
                src, line, col = s[1], s[2], s[3]
                piece += _encode_value(s[4] - name)
                name = s[4]
            parts.append(piece)
        out.append(",".join(parts))
    return ";".join(out)


def decode(mappings: str) -> list[list[Segment]]:
    """Segments per generated line from a ``mappings`` string; segments of a length the
    format does not allow (2 or 3 fields, or more than 5) are left out."""
    src = line = col = name = 0
    lines: list[list[Segment]] = []
    for text in mappings.split(";"):
        gen = 0
        segments: list[Segment] = []
        for piece in text.split(",") if text else ():
            values = [_decode_value(v) for v in _VALUE.findall(piece)]
            if len(values) not in (1, 4, 5):
                continue
            gen += values[0]
            if len(values) == 1:
                segments.append((gen,))
                continue
            src, line, col = src + values[1], line + values[2], col + values[3]
            if len(values) == 5:
                name += values[4]
                segments.append((gen, src, line, col, name))
            else:
                segments.append((gen, src, line, col))
        segments.sort(key=lambda s: s[0])
        lines.append(segments)
    return lines


def align(text: str, body: str, specials: Sequence[tuple[int, int, str | None]],
          droppable: str = "") -> list[tuple[int, int]] | None:
    """(offset in *body*, offset in *text*) for each token of *body*, the minified *text*.

    *specials* are sorted spans of *text*: comments (None), which *body* drops or keeps
    as they are, and references, which *body* holds as the placeholder given. Characters
    in *droppable* may be missing from *body* too. None when *body* is not *text*
    without those (then no map is made: it would be wrong).
    """
    atoms = _text_atoms(text, specials)
    pairs: list[tuple[int, int]] = []
    i, n, q = 0, len(atoms), 0
    for m in _ATOM.finditer(body):
        if m.start() < q:
            continue  # inside a placeholder or comment taken whole
        q = m.start()
        while i < n:
            s, e, kind = atoms[i]
            if kind is None and not body.startswith(text[s:e], q):
                i += 1  # a comment the minifier dropped
            elif kind == "" and e - s == 1 and text[s] in droppable and body[q] != text[s]:
                i += 1
            else:
                break
        else:
            return None
        s, e, kind = atoms[i]
        i += 1
        if kind is None:  # a comment kept as it is: each of its words mapped too
            pairs.extend([(q + a.start() - s, a.start()) for a in _ATOM.finditer(text, s, e)])
            q += e - s
            continue
        pairs.append((q, s))
        if kind:
            if not body.startswith(kind, q):
                return None
            q += len(kind)
        elif m.end() - q != e - s or not text.startswith(m.group(), s):
            return None
    if any(kind is not None and not (e - s == 1 and text[s] in droppable)
           for s, e, kind in atoms[i:]):
        return None  # the body ends before the text does
    return pairs


def _text_atoms(text: str, specials: Sequence[tuple[int, int, str | None]]
                ) -> list[tuple[int, int, str | None]]:
    """The units of *text* to compare: (start, end, "") for a word or a character, and the
    *specials* as they are; white space left out."""
    atoms: list[tuple[int, int, str | None]] = []
    pos = 0
    for start, end, kind in [*specials, (len(text), len(text), "")]:
        if start < pos:
            continue  # overlaps the one before (a comment-like text inside a reference)
        atoms.extend([(m.start(), m.end(), "") for m in _ATOM.finditer(text, pos, start)])
        if start < len(text):
            atoms.append((start, end, kind))
        pos = end
    return atoms


def _positions(text: str, offsets: list[int]) -> list[tuple[int, int]]:
    """(line, column) of each of the increasing *offsets*; columns in UTF-16 units."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    astral = _ASTRAL.search(text) is not None
    if len(starts) == 1 and not astral:  # one line: a minified body
        return [(0, offset) for offset in offsets]
    out = []
    find_line = bisect.bisect_right
    for offset in offsets:
        line = find_line(starts, offset) - 1
        col = offset - starts[line]
        if astral:
            col += len(_ASTRAL.findall(text, starts[line], offset))
        out.append((line, col))
    return out


def for_text(logical: str, text: str, body: str, comments: Sequence[tuple[int, int]],
             placeholders: Sequence[tuple[int, int, str]], own_maps: Sequence[int],
             droppable: str = "") -> tuple[str, str | None]:
    """*body* (the minified *text* of the asset *logical*, with *placeholders*: (start,
    end, placeholder) of the references it holds) without the source's own map comments
    (the *comments* that hold an offset of *own_maps*), and the map (JSON) of that body;
    None when the body is not *text* without white space and comments. The source is
    named relative to the map (which lies beside the asset) and its text is included:
    the release does not serve it under that name."""
    for start, end in comments:
        if any(start <= at < end for at in own_maps):
            at = body.rfind(text[start:end])  # kept only where the minifier kept comments
            if at != -1:
                body = body[:at] + body[at + end - start:]
    specials = sorted([*((s, e, None) for s, e in comments), *placeholders])
    pairs = align(text, body, specials, droppable)
    if pairs is None:
        return body, None
    generated = _positions(body, [q for q, _ in pairs])
    source = _positions(text, [s for _, s in pairs])
    lines: list[list[Segment]] = [[] for _ in range(body.count("\n") + 1)]
    for (gen_line, gen_col), (line, col) in zip(generated, source):
        lines[gen_line].append((gen_col, 0, line, col))
    return body, json.dumps({"version": 3, "sources": [encode_path(posixpath.basename(logical))],
                             "sourcesContent": [text], "names": [], "mappings": encode(lines)},
                            ensure_ascii=False, separators=(",", ":"))


def comment(kind: str, url: str) -> str:
    """The line that names a map, for the end of a stylesheet or script."""
    return f"\n/*# sourceMappingURL={url} */" if kind == "css" else f"\n//# sourceMappingURL={url}"


def read_input_map(url: str, data: bytes | None) -> dict[str, Any]:
    """A map a source came with (*data* read from the file *url* names, or None for a
    ``data:`` URL), checked enough that composing cannot fail. Raises MapError."""
    if data is None:
        m = _DATA_URL.match(url)
        if m is None:
            raise MapError("only data:application/json URLs can hold a map")
        try:
            data = (base64.b64decode(unquote_to_bytes(m.group(2)), validate=True) if m.group(1)
                    else unquote_to_bytes(m.group(2)))
        except ValueError:
            raise MapError("its base64 data is not valid") from None
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MapError(f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise MapError("not a JSON object")
    if "sections" in value:
        raise MapError("an index map (with 'sections') cannot be composed")
    if value.get("version") != 3:
        raise MapError(f"version {value.get('version')!r}; only version 3 is read")
    mappings, sources = value.get("mappings"), value.get("sources")
    if not isinstance(mappings, str) or not _MAPPINGS_CHARS.fullmatch(mappings):
        raise MapError("'mappings' is not a string of base64 VLQ segments")
    if not isinstance(sources, list) or not all(isinstance(s, (str, type(None))) for s in sources):
        raise MapError("'sources' is not a list of strings")
    for key in ("sourcesContent", "names"):
        if key in value and not isinstance(value[key], list):
            raise MapError(f"'{key}' is not a list")
    if not isinstance(value.get("sourceRoot", ""), (str, type(None))):
        raise MapError("'sourceRoot' is not a string")
    return value


def finished(map_json: str, body: str, placeholder_prefix: str, urls: Sequence[str],
             logical: str, input_map: dict[str, Any] | None = None,
             input_logical: str = "") -> str:
    """The map of the asset *logical* once *body*'s placeholders are *urls*: columns
    after each moved by what its URL adds; composed with *input_map* (the source's own
    map, the asset *input_logical*, or "" for one written inline) when given."""
    shifts: dict[int, list[tuple[int, int]]] = {}  # line -> (column after a placeholder, delta)
    holders = Placeholders(placeholder_prefix)
    found = list(holders.pattern.finditer(body)) if urls else []
    if found:
        ends = _positions(body, [m.end() for m in found])
        for m, (line, col) in zip(found, ends):
            url = urls[int(m.group(1))]
            delta = len(url) + len(_ASTRAL.findall(url)) - len(m.group())
            shifts.setdefault(line, []).append((col, delta))
    if not shifts and input_map is None:
        return map_json
    value = json.loads(map_json)
    lines = decode(value["mappings"])
    for line, moves in shifts.items():
        segments, total, j = lines[line], 0, 0
        for k, seg in enumerate(segments):
            while j < len(moves) and moves[j][0] <= seg[0]:
                total += moves[j][1]
                j += 1
            if total:
                segments[k] = (seg[0] + total, *seg[1:])
    if input_map is not None:
        value = _composed(lines, input_map, input_logical, logical)
    else:
        value["mappings"] = encode(lines)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def bundled(text: str, parts: Sequence[tuple[str, str, str]], logical: str) -> str:
    """The map of the bundle *logical*, whose *text* joins its parts: (part's logical
    name, its text, its map). Each part is found in *text* as it is, without the white
    space around it; a part that joining changed (a CSS @import moved to the top) stays
    unmapped."""
    sources: list[str | None] = []
    contents: list[str | None] = []
    names: list[str] = []
    index: dict[str | None, int] = {}
    lines: list[list[Segment]] = [[] for _ in range(text.count("\n") + 1)]
    pos = 0
    for part, part_text, map_json in parts:
        core = part_text.strip()
        at = text.find(core, pos) if core else -1
        if at == -1:
            continue
        pos = at + len(core)
        lead = part_text[:len(part_text) - len(part_text.lstrip())]
        lead_line, lead_col = lead.count("\n"), len(lead) - lead.rfind("\n") - 1
        [(line0, col0)] = _positions(text, [at])
        value = json.loads(map_json)
        content = value.get("sourcesContent") or []
        renumbered = []
        for i, source in enumerate(value["sources"]):
            key = _rebased(source, "", posixpath.dirname(part), posixpath.dirname(logical))
            if key not in index:
                index[key] = len(sources)
                sources.append(key)
                contents.append(content[i] if i < len(content) else None)
            renumbered.append(index[key])
        first_name = len(names)
        names.extend(value.get("names", []))
        for line, segments in enumerate(decode(value["mappings"])):
            if line < lead_line:
                continue
            shift = col0 - lead_col if line == lead_line else 0
            out = lines[line0 + line - lead_line]
            for s in segments:
                if len(s) == 1:
                    out.append((s[0] + shift,))
                else:
                    out.append((s[0] + shift, renumbered[s[1]], s[2], s[3],
                                *((s[4] + first_name,) if len(s) == 5 else ())))
    return json.dumps({"version": 3, "sources": sources, "sourcesContent": contents,
                       "names": names, "mappings": encode(lines)},
                      ensure_ascii=False, separators=(",", ":"))


def _composed(lines: list[list[Segment]], input_map: dict[str, Any], input_logical: str,
              logical: str) -> dict[str, Any]:
    """A map from the generated positions of *lines* (whose sources are positions in the
    text *input_map* maps) to the sources of *input_map*: each position takes the segment
    of *input_map* that covers it (the last one at or before it on its line)."""
    inner = decode(input_map["mappings"])
    columns: dict[int, list[int]] = {}
    out: list[list[Segment]] = []
    for segments in lines:
        new: list[Segment] = []
        for seg in segments:
            line, col = seg[2], seg[3]
            if line >= len(inner) or not inner[line]:
                new.append((seg[0],))
                continue
            cols = columns.get(line)
            if cols is None:
                cols = columns[line] = [s[0] for s in inner[line]]
            j = bisect.bisect_right(cols, col) - 1
            if j < 0 or len(inner[line][j]) == 1:
                new.append((seg[0],))
            else:
                new.append((seg[0], *inner[line][j][1:]))
        out.append(new)
    sources = input_map["sources"]
    root = input_map.get("sourceRoot") or ""
    base = posixpath.dirname(input_logical) if input_logical else posixpath.dirname(logical)
    value: dict[str, Any] = {
        "version": 3,
        "sources": [_rebased(s, root, base, posixpath.dirname(logical)) for s in sources],
        "names": input_map.get("names", []),
        "mappings": encode(out),
    }
    content = input_map.get("sourcesContent")
    if content:
        value["sourcesContent"] = (content + [None] * len(sources))[:len(sources)]
    return value


def _rebased(source: str | None, root: str, base: str, folder: str) -> str | None:
    """*source* (a URL relative to *root*, relative to the folder *base* of the map that
    names it) as a URL relative to *folder*; URLs with a scheme or an absolute path stay."""
    if source is None:
        return None
    url = root + ("/" if root and not root.endswith("/") else "") + source
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|/", url):
        return url
    return posixpath.relpath(posixpath.normpath(posixpath.join(base or ".", url)), folder or ".")
