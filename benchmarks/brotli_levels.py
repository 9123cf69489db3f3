"""What brotli costs and saves per file, by size and kind, on a release's final bytes.

    python benchmarks/brotli_levels.py OUT_DIR [--quality 4 5 6 ...] [--lgwin fit 22 24]

OUT_DIR is an assetbuild release (its manifest.json lists the files). Every compressible
file is compressed with each setting in this one process (no workers, so CPU seconds are
comparable between settings); the table gives, per group of files, the bytes brotli
writes (the smaller of .br and .gz counts for a client that accepts both) and the CPU
seconds it took. `fit` is the smallest window that holds the whole file (assetbuild's
choice); the mode is assetbuild's for the file's type unless --mode says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import brotli

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from assetbuild import compress  # noqa: E402

SIZE_GROUPS = ((1 << 10, "< 1 KiB"), (4 << 10, "1-4 KiB"), (16 << 10, "4-16 KiB"),
               (64 << 10, "16-64 KiB"), (256 << 10, "64-256 KiB"), (1 << 20, "256 KiB-1 MiB"),
               (1 << 60, ">= 1 MiB"))


def size_group(size: int) -> str:
    return next(label for limit, label in SIZE_GROUPS if size < limit)


def hot_group(name: str, size: int) -> str:
    """Minified builds of 64 KiB and more: the files a page loads, where bytes count most."""
    return "minified, >= 64 KiB" if ".min." in name and size >= 64 << 10 else "the rest"


def kind_group(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return {"mjs": "js", "cjs": "js"}.get(ext, ext if ext in ("js", "css", "svg", "map", "json")
                                          else "other")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="an assetbuild release (with manifest.json)")
    p.add_argument("--quality", type=int, nargs="+", default=[4, 5, 6, 7, 8, 9, 10])
    p.add_argument("--lgwin", nargs="+", default=["fit"], help="window bits, or fit (the default)")
    p.add_argument("--mode", choices=("auto", "text", "generic"), default="auto",
                   help="auto: assetbuild's choice by file type")
    p.add_argument("--by", choices=("size", "kind", "hot"), default="size")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    assets = json.loads((args.out / "manifest.json").read_text())["assets"]
    files = []
    for name, entry in sorted(assets.items()):
        if compress.compressible(name):
            data = (args.out / entry["path"]).read_bytes()
            gz = entry.get("encodings", {}).get("gzip")
            gz_size = os.path.getsize(args.out / gz) if gz else len(data)
            group = {"size": lambda: size_group(len(data)), "kind": lambda: kind_group(name),
                     "hot": lambda: hot_group(name, len(data))}[args.by]()
            files.append((group, name, data, min(gz_size, len(data))))
    mode = {"auto": None, "text": brotli.MODE_TEXT, "generic": brotli.MODE_GENERIC}[args.mode]
    groups = [label for _limit, label in SIZE_GROUPS] if args.by == "size" else \
        sorted({g for g, _n, _d, _s in files})
    base = defaultdict(lambda: [0, 0, 0])  # group -> files, raw bytes, served gzip bytes
    for group, _name, data, gz_size in files:
        row = base[group]
        row[0] += 1
        row[1] += len(data)
        row[2] += gz_size
    results = {}
    print(render(groups, base, {}), flush=True)
    for lgwin in args.lgwin:
        for quality in args.quality:
            spent = defaultdict(float)
            served = defaultdict(int)
            for group, name, data, gz_size in files:
                window = compress.brotli_window(len(data)) if lgwin == "fit" else int(lgwin)
                started = time.process_time()
                blob = brotli.compress(data, quality=quality, lgwin=window,
                                       mode=compress.brotli_mode(name) if mode is None else mode)
                spent[group] += time.process_time() - started
                served[group] += min(len(blob), gz_size)
            results[f"q{quality} w{lgwin}"] = {g: (served[g], spent[g]) for g in groups if g in base}
            print(render_row(f"q{quality} w{lgwin}", groups, results[f"q{quality} w{lgwin}"]),
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps({"base": base, "results": results}, indent=1))
    return 0


def render(groups: list[str], base: dict, results: dict) -> str:
    present = [g for g in groups if g in base]
    head = "| setting | " + " | ".join(present) + " | all |"
    lines = [head, "|" + "---|" * (len(present) + 2)]
    lines.append("| files, MB raw | " + " | ".join(
        f"{base[g][0]:,}, {base[g][1] / 1e6:.2f}" for g in present) +
        f" | {sum(b[0] for b in base.values()):,}, {sum(b[1] for b in base.values()) / 1e6:.2f} |")
    lines.append("| gzip 6 (served MB) | " + " | ".join(f"{base[g][2] / 1e6:.3f}" for g in present) +
                 f" | {sum(b[2] for b in base.values()) / 1e6:.3f} |")
    lines += [render_row(setting, groups, by_group) for setting, by_group in results.items()]
    return "\n".join(lines)


def render_row(setting: str, groups: list[str], by_group: dict) -> str:
    """One setting: served MB and CPU seconds per group, and in all."""
    cells = [f"{by_group[g][0] / 1e6:.3f} MB, {by_group[g][1]:.2f} s" for g in groups if g in by_group]
    total_mb = sum(v[0] for v in by_group.values()) / 1e6
    total_s = sum(v[1] for v in by_group.values())
    return f"| {setting} | " + " | ".join(cells) + f" | {total_mb:.3f} MB, {total_s:.2f} s |"


if __name__ == "__main__":
    sys.exit(main())
