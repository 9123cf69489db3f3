"""Writing release JSON at build time: manifest entries, the manifest streamed entry by
entry, and the import map. The format and its reader are in manifest.py (run time); this
module is compile-side only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

from assetbuild import importmap
from assetbuild.manifest import FORMAT_VERSION, Entry


def importmap_text(assets: Mapping[str, Entry]) -> str:
    """``importmap.json`` text for the ES modules among *assets*: sorted keys, UTF-8,
    trailing newline."""
    return render_json(importmap.build(assets))


def write_manifest(assets: Iterable[tuple[str, tuple[str, str]]], generator: str,
                   write: Callable[[str], object]) -> str:
    """Write manifest text through *write*, a few hundred entries at a time, and return
    its build id.

    *assets* yields (logical name, (indented, compact) entry JSON) sorted by name. The
    text is exactly what ``json.dumps(manifest, sort_keys=True, indent=1,
    ensure_ascii=False)`` and a newline give, but no copy of the whole manifest is ever
    held. The build id is the start of the sha256 of the assets object in compact sorted
    JSON: equal releases, equal ids.
    """
    digest = hashlib.sha256(b"{")
    write('{\n "assets": {')
    sep = ""
    pretty_chunk: list[str] = []
    compact_chunk: list[str] = []
    for name, (pretty, compact) in assets:
        key = encode_basestring(name)
        compact_chunk.append(f"{sep}{key}:{compact}")
        pretty_chunk.append(f"{sep}\n  {key}: {pretty}")
        sep = ","
        if len(pretty_chunk) >= 256:
            digest.update("".join(compact_chunk).encode("utf-8"))
            write("".join(pretty_chunk))
            pretty_chunk.clear()
            compact_chunk.clear()
    digest.update("".join(compact_chunk).encode("utf-8"))
    write("".join(pretty_chunk))
    digest.update(b"}")
    write("\n }" if sep else "}")
    build_id = digest.hexdigest()[:16]
    for key, value in (("build_id", build_id), ("generator", generator),
                       ("version", FORMAT_VERSION)):
        write(f',\n "{key}": {_render(value, 1)[0]}')
    write("\n}\n")
    return build_id


_ENTRY_KEYS = ({"encodings", "integrity", "path", "size"},
               {"encodings", "integrity", "module", "path", "size"})


def render_entry(data: Mapping[str, Any]) -> tuple[str, str]:
    """An asset entry's (indented, compact) JSON, ``_render(data, 2)``; the usual shape is
    written out directly, without the generic walk (a manifest renders one per asset)."""
    encodings = data.get("encodings")
    if not (type(data) is dict and data.keys() in _ENTRY_KEYS and type(encodings) is dict
            and type(data["path"]) is str and type(data["size"]) is int
            and type(data["integrity"]) is str and data.get("module", True) is True
            and all(type(k) is str and type(v) is str for k, v in encodings.items())):
        return _render(data, 2)
    return render_quoted(encode_basestring(data["path"]), data["size"],
                         encode_basestring(data["integrity"]),
                         [(encode_basestring(k), encode_basestring(v))
                          for k, v in sorted(encodings.items())], "module" in data)


def render_quoted(path: str, size: int, integrity: str, encodings: list[tuple[str, str]],
                  module: bool = False) -> tuple[str, str]:
    """The (indented, compact) JSON of an asset entry: its fixed fields, *encodings* as
    (name, path) pairs sorted by name, ``"module": true`` when *module*; *path*,
    *integrity* and each encoding's name and path are JSON strings already (quoted and
    escaped). A manifest renders one entry per asset, and this is most of the time it
    takes to write a large one: the usual entry, with one encoding, is two f-strings."""
    if len(encodings) == 1:
        (name, variant), = encodings
        enc_pretty = f"{{\n    {name}: {variant}\n   }}"
        enc_compact = f"{{{name}:{variant}}}"
    elif encodings:
        enc_pretty = "{\n    " + ",\n    ".join([f"{k}: {v}" for k, v in encodings]) + "\n   }"
        enc_compact = "{" + ",".join([f"{k}:{v}" for k, v in encodings]) + "}"
    else:
        enc_pretty = enc_compact = "{}"
    size_text = int.__repr__(size)
    module_pretty, module_compact = _MODULE_FIELD if module else ("", "")
    return (f'{{\n   "encodings": {enc_pretty},\n   "integrity": {integrity},{module_pretty}'
            f'\n   "path": {path},\n   "size": {size_text}\n  }}',
            f'{{"encodings":{enc_compact},"integrity":{integrity},{module_compact}'
            f'"path":{path},"size":{size_text}}}')


_MODULE_FIELD = ('\n   "module": true,', '"module":true,')  # (indented, compact)


def render_json(value: Any) -> str:
    """Release JSON text (import map, manifest): ``json.dumps(value, sort_keys=True,
    indent=1, ensure_ascii=False)`` and a newline, with strings escaped in C."""
    return _render(value, 0)[0] + "\n"


def _render(value: Any, depth: int) -> tuple[str, str]:
    """*value* as JSON, sorted, both indented (``indent=1``, *depth* levels deep) and
    compact (``separators=(",", ":")``), in one walk. Dicts need string keys."""
    kind = type(value)
    if kind is str:
        text = encode_basestring(value)
        return text, text
    if kind is dict or isinstance(value, Mapping):
        pretty, compact = [], []
        for k, v in sorted(value.items()):
            key, inner = encode_basestring(k), type(v)
            if inner is str:  # the common cases inline: a manifest has many thousands
                p = c = encode_basestring(v)
            elif inner is int:
                p = c = int.__repr__(v)
            else:
                p, c = _render(v, depth + 1)
            pretty.append(f"{key}: {p}")
            compact.append(f"{key}:{c}")
        return _indented("{", pretty, "}", depth), "{" + ",".join(compact) + "}"
    if kind is list or kind is tuple:
        items = [_render(v, depth + 1) for v in value]
        return (_indented("[", [p for p, _ in items], "]", depth),
                "[" + ",".join(c for _, c in items) + "]")
    text = json.dumps(value)  # other numbers, true, false, null
    return text, text


def _indented(open_: str, items: list[str], close: str, depth: int) -> str:
    if not items:
        return open_ + close
    inner = "\n" + " " * (depth + 1)
    return open_ + inner + ("," + inner).join(items) + "\n" + " " * depth + close
