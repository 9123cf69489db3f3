"""Hand-made releases for run-time tests: real files, a real manifest.json and importmap.json,
written without the compiler so the run-time side is tested on its own."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

from assetbuild import importmap
from assetbuild.manifest import Entry, Manifest

SAMPLE = {
    "css/site.css": b"body{color:#123456}",
    "js/app.js": b"document.body.dataset.app='ok';",
    "js/modules/main.js": b"import {x} from './util.abcdef0123456789.js';",
    "js/modules/util.js": b"export const x=1;",
    "img/logo.png": b"\x89PNG fake",
}
MODULES = {"js/modules/main.js", "js/modules/util.js"}


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def fingerprinted(name: str, data: bytes) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:16]}.{ext}"


def write_release(out: Path, files: dict[str, bytes] | None = None,
                  modules: set[str] | None = None, precompress: bool = False) -> Path:
    """Write *files* (logical name -> bytes) fingerprinted under *out* with both JSON files;
    with *precompress*, a .gz twin of each file too."""
    files = SAMPLE if files is None else files
    modules = MODULES if modules is None else modules
    entries = {}
    for name, data in files.items():
        path = fingerprinted(name, data)
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
        extra = {"module": True} if name in modules else {}
        encodings = {}
        if precompress:
            (out / (path + ".gz")).write_bytes(gzip.compress(data, mtime=0))
            encodings["gzip"] = path + ".gz"
        entries[name] = Entry(path=path, size=len(data), integrity=sri(data),
                              encodings=encodings, extra=extra)
    (out / "importmap.json").write_text(importmap.dumps(entries), encoding="utf-8")
    (out / "manifest.json").write_text(Manifest(assets=entries, generator="test").dumps(),
                                       encoding="utf-8")
    return out / "manifest.json"


def paths(out: Path) -> dict[str, str]:
    """Logical name -> path, read back from the manifest."""
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {name: entry["path"] for name, entry in data["assets"].items()}
