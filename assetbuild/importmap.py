"""The import map of a release: bare and relative module specifiers to fingerprinted files.

The compiler writes it (render.importmap_text) as ``importmap.json`` beside
``manifest.json``. Its URLs are relative to the release folder (``./js/app.1f3a9c0d.js``),
so it stays valid whatever URL the release is served under; the run-time side swaps ``./``
for the URL prefix when it renders the map. Every ES-module entry of the manifest
(``"module": true``) gets two specifiers: its logical name (``js/modules/util.js``, a bare
specifier) and its unfingerprinted relative URL (``./js/modules/util.js``). Imports nothing
but the standard library and ``manifest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assetbuild.manifest import Entry, ManifestError, read_json, safe_relative_path

IMPORTMAP_NAME = "importmap.json"


def build(assets: Mapping[str, Entry]) -> dict[str, Any]:
    """The import map (as JSON data) for the ES-module entries among *assets*."""
    imports: dict[str, str] = {}
    integrity: dict[str, str] = {}
    for name in sorted(assets):
        entry = assets[name]
        if entry.extra.get("module") is not True:
            continue
        target = "./" + entry.path
        imports[name] = target
        imports["./" + name] = target
        integrity[target] = entry.integrity
    return {"imports": imports, "integrity": integrity}


def parse(data: bytes | str, source: str = IMPORTMAP_NAME) -> dict[str, Any]:
    """Validate ``importmap.json`` text; raise ManifestError naming *source* on any defect."""
    raw = read_json(data, source)
    imports = raw.get("imports") if isinstance(raw, dict) else None
    integrity = raw.get("integrity", {}) if isinstance(raw, dict) else None
    if not isinstance(imports, dict) or not isinstance(integrity, dict):
        raise ManifestError(f"{source}: expected an object with 'imports' and 'integrity' objects")
    for key, url in imports.items():
        if not (isinstance(key, str) and key and _release_url(url)):
            raise ManifestError(f"{source}: import {key!r} must map to './' and a path inside the release")
    for url, digest in integrity.items():
        if not (_release_url(url) and isinstance(digest, str) and "-" in digest):
            raise ManifestError(f"{source}: integrity of {url!r} must be a string like 'sha384-...'")
    return {"imports": imports, "integrity": integrity}


def _release_url(url: object) -> bool:
    return isinstance(url, str) and url.startswith("./") and safe_relative_path(url[2:])
