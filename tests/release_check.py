"""An independent check that a release folder is whole, used by the reliability tests.

It does not use assetbuild's own code: it re-reads every file the manifest names and
recomputes its size and Subresource Integrity hash, and decompresses each encoding.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from pathlib import Path


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def decode(encoding: str, blob: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(blob)
    if encoding == "br":
        import brotli
        return brotli.decompress(blob)
    raise AssertionError(f"unknown encoding {encoding!r}")


def inside(out: Path, rel: str) -> Path:
    path = Path(os.path.realpath(out / rel))
    assert path.is_relative_to(os.path.realpath(out)), f"{rel!r} points outside the release"
    return path


def check_release(out: Path) -> dict:
    """Assert that out/manifest.json parses and that every file it names exists and
    matches its size and integrity; return the parsed manifest."""
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert manifest["version"] == 1
    for name, entry in manifest["assets"].items():
        data = inside(out, entry["path"]).read_bytes()
        assert len(data) == entry["size"], f"{name}: size {len(data)} != {entry['size']}"
        assert sri(data) == entry["integrity"], f"{name}: integrity mismatch"
        for encoding, rel in entry.get("encodings", {}).items():
            assert decode(encoding, inside(out, rel).read_bytes()) == data, f"{name}: {encoding}"
    return manifest


def all_output_bytes(out: Path):
    """(path, bytes) of every file under *out*, with .gz/.br files also decompressed."""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield path, data
        for suffix, encoding in ((".gz", "gzip"), (".br", "br")):
            if path.name.endswith(suffix):
                try:
                    yield path, decode(encoding, data)
                except Exception:
                    pass  # not ours, or a source that happens to be named .gz
