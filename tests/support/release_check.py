"""An independent check that a release folder is whole, used by the reliability tests.

It does not use assetbuild's own code: it re-reads every file the manifest names and
recomputes its size and Subresource Integrity hash, and decompresses each encoding.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from support.release import sri


def decode(encoding: str, blob: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(blob)
    if encoding == "br":
        import brotli
        return brotli.decompress(blob)
    raise AssertionError(f"unknown encoding {encoding!r}")


def inside(out: Path, rel: str) -> Path:
    parts = rel.split("/")
    assert rel and not rel.startswith("/") and not {"", ".", ".."} & set(parts) and \
        "\\" not in rel, f"{rel!r} points outside the release"
    return out.joinpath(*parts)


def check_release(out: Path, manifest_bytes: bytes | None = None) -> dict:
    """Assert that out/manifest.json (or *manifest_bytes*) parses and that every file it
    names exists in *out* and matches its size and integrity; return the parsed manifest."""
    manifest = json.loads(manifest_bytes or (out / "manifest.json").read_bytes())
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
