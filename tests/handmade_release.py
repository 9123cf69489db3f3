"""Building release folders by hand for tests of pack, verify, clean and publish."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import posixpath
from pathlib import Path


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def fingerprinted(name: str, data: bytes) -> str:
    stem, ext = posixpath.splitext(name)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:16]}{ext}"


def make_release(out: Path, files: dict[str, bytes], *, gzip_names: tuple[str, ...] = (),
                 build_id: str | None = None, history: bool = True,
                 modules: tuple[str, ...] | None = None) -> dict:
    """Write *files* (logical name -> bytes) fingerprinted into *out*, .gz variants for
    *gzip_names*, importmap.json for *modules* (when not None), manifests/<build_id>.json
    and manifest.json (last, as the compiler does). Returns the manifest as a dict."""
    assets = {}
    for name, data in sorted(files.items()):
        path = fingerprinted(name, data)
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entry = {"path": path, "size": len(data), "integrity": sri(data), "encodings": {}}
        if name in gzip_names:
            (out / (path + ".gz")).write_bytes(gzip.compress(data, mtime=0))
            entry["encodings"]["gzip"] = path + ".gz"
        assets[name] = entry
    build_id = build_id or hashlib.sha256(json.dumps(assets, sort_keys=True).encode()).hexdigest()[:16]
    manifest = {"version": 1, "generator": "tests", "build_id": build_id, "assets": assets}
    text = json.dumps(manifest, sort_keys=True, indent=1) + "\n"
    if modules is not None:
        urls = {name: "./" + assets[name]["path"] for name in modules}
        importmap = {"imports": urls, "integrity": {url: assets[n]["integrity"] for n, url in urls.items()}}
        (out / "importmap.json").write_text(json.dumps(importmap, sort_keys=True) + "\n")
    if history:
        (out / "manifests").mkdir(parents=True, exist_ok=True)
        (out / "manifests" / f"{build_id}.json").write_text(text)
    (out / "manifest.json").write_text(text)
    return manifest
