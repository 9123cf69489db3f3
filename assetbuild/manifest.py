"""The manifest format: one JSON file that maps logical names to fingerprinted files.

Shared by the compiler (which writes it) and the run-time side (which reads it), so it
imports nothing but the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


class ManifestError(Exception):
    """A manifest is missing, unreadable or not in the expected format."""


@dataclass(frozen=True)
class PlainCopy:
    """An asset's copy under its plain (unfingerprinted) name, for libraries that load
    files by name at run time; replaced by each build, so served with short caching."""

    path: str
    encodings: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"encodings": dict(self.encodings), "path": self.path}


@dataclass(frozen=True)
class Entry:
    """One asset of a release, as the manifest describes it."""

    path: str
    size: int
    integrity: str
    encodings: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        data.update(path=self.path, size=self.size, integrity=self.integrity,
                    encodings=dict(self.encodings))
        return data

    @property
    def plain(self) -> PlainCopy | None:
        """The copy under its plain name (the manifest's ``"plain"`` field), if any."""
        value = self.extra.get("plain")
        if not isinstance(value, dict):
            return None
        return PlainCopy(value["path"], value.get("encodings", {}))


@dataclass(frozen=True)
class Manifest:
    """A whole release: every logical name and the file that serves it."""

    assets: Mapping[str, Entry]
    generator: str = ""
    build_id: str = ""

    def dumps(self) -> str:
        return self.rendered()[1]

    def rendered(self) -> tuple[Manifest, str]:
        """This manifest with its build id filled in, and its text."""
        chunks: list[str] = []
        build_id = write_text(((name, self.assets[name].to_json()) for name in sorted(self.assets)),
                              self.generator, chunks.append)
        return Manifest(self.assets, self.generator, build_id), "".join(chunks)


def write_text(assets: Iterable[tuple[str, Mapping[str, Any]]], generator: str,
               write: Callable[[str], object]) -> str:
    """Write manifest text through *write*, a few hundred entries at a time, and return
    its build id.

    *assets* yields (logical name, entry data) sorted by name. The text is exactly what
    ``json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False)`` and a newline
    give, but no copy of the whole manifest is ever held. The build id is the start of
    the sha256 of the assets object in compact sorted JSON: equal releases, equal ids.
    """
    return write_rendered(((name, render_entry(data)) for name, data in assets), generator, write)


def write_rendered(assets: Iterable[tuple[str, tuple[str, str]]], generator: str,
                   write: Callable[[str], object]) -> str:
    """write_text() for entries rendered already: (logical name, (indented, compact))."""
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
    return render_asset(data["path"], data["size"], data["integrity"],
                        sorted(encodings.items()), "module" in data)


def render_asset(path: str, size: int, integrity: str, encodings: Iterable[tuple[str, str]],
                 module: bool = False) -> tuple[str, str]:
    """The (indented, compact) JSON of an asset entry: its fixed fields, *encodings* as
    (name, path) pairs sorted by name, and ``"module": true`` when *module*."""
    return render_quoted(encode_basestring(path), size, encode_basestring(integrity),
                         [(encode_basestring(k), encode_basestring(v)) for k, v in encodings],
                         module)


def render_quoted(path: str, size: int, integrity: str, encodings: list[tuple[str, str]],
                  module: bool = False) -> tuple[str, str]:
    """render_asset() with *path*, *integrity* and each encoding's name and path already
    JSON strings (quoted and escaped). A manifest renders one entry per asset, and this is
    most of the time it takes to write a large one: the usual entry, with one encoding,
    is two f-strings."""
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


def safe_relative_path(value: object) -> bool:
    """True when *value* is a relative POSIX path that stays inside the release folder."""
    if not isinstance(value, str) or not value or "\\" in value or "\x00" in value:
        return False
    if value.startswith("/") or posixpath.isabs(value) or ":" in value.split("/", 1)[0]:
        return False
    parts = value.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def read_json(data: bytes | str, source: str) -> Any:
    """Decode release JSON (manifest or import map); ManifestError naming *source* if broken."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{source}: not valid JSON ({exc}); rebuild it with 'assetbuild compile'") from None
    except RecursionError:
        raise ManifestError(f"{source}: not a manifest (JSON nested too deeply); "
                            "rebuild it with 'assetbuild compile'") from None


def parse(data: bytes | str, source: str = MANIFEST_NAME) -> Manifest:
    """Parse and validate manifest text; raise ManifestError naming *source* on any defect."""
    raw = read_json(data, source)
    if not isinstance(raw, dict):
        raise ManifestError(f"{source}: expected a JSON object at the top level")
    if raw.get("version") != FORMAT_VERSION:
        raise ManifestError(
            f"{source}: unsupported manifest version {raw.get('version')!r} (expected {FORMAT_VERSION}); "
            "rebuild it with this version of assetbuild")
    assets = raw.get("assets")
    if not isinstance(assets, dict):
        raise ManifestError(f"{source}: 'assets' must be an object")
    entries: dict[str, Entry] = {}
    for name, item in assets.items():
        entries[name] = _parse_entry(name, item, source)
    return Manifest(assets=entries, generator=str(raw.get("generator", "")),
                    build_id=str(raw.get("build_id", "")))


def _parse_entry(name: str, item: object, source: str) -> Entry:
    where = f"{source}: asset {name!r}"
    if not isinstance(item, dict):
        raise ManifestError(f"{where}: expected an object")
    path, size, integrity = item.get("path"), item.get("size"), item.get("integrity")
    if not isinstance(path, str) or not safe_relative_path(path):
        raise ManifestError(f"{where}: path {path!r} is not a relative path inside the release")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}: size must be a non-negative integer")
    if not isinstance(integrity, str) or "-" not in integrity:
        raise ManifestError(f"{where}: integrity must be a string like 'sha384-...'")
    encodings = item.get("encodings", {})
    if not isinstance(encodings, dict) or not all(
            isinstance(k, str) and safe_relative_path(v) for k, v in encodings.items()):
        raise ManifestError(f"{where}: encodings must map names to relative paths inside the release")
    plain = item.get("plain")
    if plain is not None and not (
            isinstance(plain, dict) and safe_relative_path(plain.get("path"))
            and isinstance(plain.get("encodings", {}), dict)
            and all(isinstance(k, str) and safe_relative_path(v)
                    for k, v in plain.get("encodings", {}).items())):
        raise ManifestError(f"{where}: plain must be an object with a relative path and "
                            "encodings inside the release")
    extra = {k: v for k, v in item.items() if k not in ("path", "size", "integrity", "encodings")}
    return Entry(path=path, size=size, integrity=integrity, encodings=encodings, extra=extra)


def load(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate the manifest at *path* (a file, or a release folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"{path}: manifest not found; build it with 'assetbuild compile'") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc.strerror or exc})") from None
    return parse(data, str(path))
