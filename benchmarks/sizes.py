"""Bytes a release serves: raw, .gz and .br totals over the fingerprinted files it lists."""

from __future__ import annotations

import json
import os
from pathlib import Path


def assetbuild_files(out: Path) -> list[tuple[Path, dict[str, Path]]]:
    """(file, {encoding: compressed file}) for every asset in assetbuild's manifest.json."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [(out / entry["path"], {enc: out / rel for enc, rel in entry.get("encodings", {}).items()})
            for entry in manifest["assets"].values()]


def django_files(root: Path) -> list[tuple[Path, dict[str, Path]]]:
    """The same for Django's staticfiles.json; WhiteNoise's .gz/.br sit beside each file."""
    manifest = json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))
    found = []
    for rel in manifest["paths"].values():
        path = root / rel
        encodings = {enc: Path(f"{path}.{ext}") for enc, ext in (("gzip", "gz"), ("br", "br"))
                     if os.path.exists(f"{path}.{ext}")}
        found.append((path, encodings))
    return found


def totals(files: list[tuple[Path, dict[str, Path]]]) -> dict[str, int]:
    """Counts and byte totals; `served_br` is what a client accepting br and gzip downloads
    (the smallest of each asset's variants)."""
    out = {"assets": len(files), "raw": 0, "gzip_files": 0, "gzip": 0, "br_files": 0, "br": 0,
           "served_br": 0, "served_gzip": 0}
    for path, encodings in files:
        raw = path.stat().st_size
        sizes = {enc: p.stat().st_size for enc, p in encodings.items()}
        out["raw"] += raw
        for enc in ("gzip", "br"):
            if enc in sizes:
                out[f"{enc}_files"] += 1
                out[enc] += sizes[enc]
        out["served_br"] += min([raw, *sizes.values()])
        out["served_gzip"] += min(raw, sizes.get("gzip", raw))
    return out
