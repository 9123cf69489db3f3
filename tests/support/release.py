"""Hand-made releases: real files, manifest.json, importmap.json and manifests/<build_id>.json,
written with plain json and hashlib and no assetbuild code, so the run-time side and the
release tools (pack, verify, clean, publish) are tested apart from the compiler."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import posixpath
from collections.abc import Iterable
from pathlib import Path

SAMPLE = {
    "css/site.css": b"body{color:#123456}",
    "js/app.js": b"document.body.dataset.app='ok';",
    "js/modules/main.js": b"import {x} from './util.abcdef0123456789.js';",
    "js/modules/util.js": b"export const x=1;",
    "img/logo.png": b"\x89PNG fake",
}
SAMPLE_MODULES = ("js/modules/main.js", "js/modules/util.js")


def sri(data: bytes) -> str:
    """The Subresource Integrity value (sha384) of *data*, as the manifest holds it."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def fingerprinted(name: str, data: bytes) -> str:
    """*name* with a digest of *data* before its extension."""
    stem, ext = posixpath.splitext(name)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:16]}{ext}"


def make_release(out: Path, files: dict[str, bytes], *, modules: Iterable[str] | None = None,
                 gzip_names: Iterable[str] = (), build_id: str | None = None,
                 history: bool = True) -> dict:
    """Write *files* (logical name -> bytes) fingerprinted into *out*, a .gz twin of each of
    *gzip_names*, importmap.json for the ES *modules* (none written when None), with
    *history* manifests/<build_id>.json, and manifest.json last, as the compiler does.
    Returns the manifest as a dict."""
    modules = None if modules is None else set(modules)
    gzip_names = set(gzip_names)
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
        if modules and name in modules:
            entry["module"] = True
        assets[name] = entry
    build_id = build_id or hashlib.sha256(json.dumps(assets, sort_keys=True).encode()).hexdigest()[:16]
    manifest = {"version": 1, "generator": "tests", "build_id": build_id, "assets": assets}
    text = json.dumps(manifest, sort_keys=True, indent=1) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    if modules is not None:
        imports, integrity = {}, {}
        for name in sorted(modules):
            url = "./" + assets[name]["path"]
            imports[name] = imports["./" + name] = url
            integrity[url] = assets[name]["integrity"]
        (out / "importmap.json").write_text(
            json.dumps({"imports": imports, "integrity": integrity}, sort_keys=True, indent=1) + "\n")
    if history:
        (out / "manifests").mkdir(exist_ok=True)
        (out / "manifests" / f"{build_id}.json").write_text(text)
    (out / "manifest.json").write_text(text)
    return manifest


def sample_release(out: Path, **options) -> dict:
    """make_release of SAMPLE with its two ES modules (options as for make_release)."""
    return make_release(out, SAMPLE, modules=SAMPLE_MODULES, **options)


def paths(out: Path) -> dict[str, str]:
    """Logical name -> path, read back from out/manifest.json."""
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {name: entry["path"] for name, entry in data["assets"].items()}
