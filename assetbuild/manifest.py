"""The manifest format: one JSON file that maps logical names to fingerprinted files.

Its entries, their validation and reading. The run-time side reads it, so it imports
nothing but the standard library; the build writes it with render.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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


def safe_relative_path(value: object) -> bool:
    """True when *value* is a relative POSIX path that stays inside the release folder."""
    if not isinstance(value, str) or not value or "\\" in value or "\x00" in value:
        return False
    if value.startswith("/") or ":" in value.partition("/")[0]:
        return False
    parts = value.split("/")  # no empty, "." or ".." part (membership tests run in C)
    return "" not in parts and "." not in parts and ".." not in parts


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
        entries[name] = parse_entry(name, item, source)
    return Manifest(assets=entries, generator=str(raw.get("generator", "")),
                    build_id=str(raw.get("build_id", "")))


def parse_entry(name: str, item: object, source: str = MANIFEST_NAME) -> Entry:
    """The manifest entry of asset *name*, validated (check_entry); ManifestError naming
    *source* on any defect."""
    data = check_entry(name, item, source)
    extra = {k: v for k, v in data.items() if k not in ("path", "size", "integrity", "encodings")}
    return Entry(path=data["path"], size=data["size"], integrity=data["integrity"],
                 encodings=data.get("encodings", {}), extra=extra)


def check_entry(name: str, item: object, source: str = MANIFEST_NAME) -> dict[str, Any]:
    """*item*, the manifest entry of asset *name*, once checked: the one validation of an
    entry, for the run-time reader (parse_entry) and for the build, which takes entries of
    the release in place as they are (incremental.written_from_manifest). ManifestError
    naming *source* on any defect."""
    if not isinstance(item, dict):
        raise _bad_entry(source, name, "expected an object")
    path, size, integrity = item.get("path"), item.get("size"), item.get("integrity")
    if not isinstance(path, str) or not safe_relative_path(path):
        raise _bad_entry(source, name, f"path {path!r} is not a relative path inside the release")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _bad_entry(source, name, "size must be a non-negative integer")
    if not isinstance(integrity, str) or "-" not in integrity:
        raise _bad_entry(source, name, "integrity must be a string like 'sha384-...'")
    encodings = item.get("encodings", {})
    if not _relative_paths(encodings):
        raise _bad_entry(source, name, "encodings must map names to relative paths inside the release")
    plain = item.get("plain")
    if plain is not None and not (
            isinstance(plain, dict) and safe_relative_path(plain.get("path"))
            and _relative_paths(plain.get("encodings", {}))):
        raise _bad_entry(source, name, "plain must be an object with a relative path and "
                                       "encodings inside the release")
    return item


def _relative_paths(encodings: object) -> bool:
    """Whether *encodings* maps names to relative paths inside the release."""
    if not isinstance(encodings, dict):
        return False
    for key, value in encodings.items():  # a loop, not all(): one entry per asset is checked
        if not (isinstance(key, str) and safe_relative_path(value)):
            return False
    return True


def _bad_entry(source: str, name: str, problem: str) -> ManifestError:
    return ManifestError(f"{source}: asset {name!r}: {problem}")


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
