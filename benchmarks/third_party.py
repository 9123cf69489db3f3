"""Compile each real third-party package of the test corpus and report what it cost.

    python benchmarks/third_party.py [--jobs N] [--out report.md]

Needs the corpus (bash .ci/setup.d/thirdparty.sh). Each package is compiled twice with
the real CLI into a fresh folder, without a build cache: once with the defaults (gzip, and
brotli when installed) and once with --no-gzip --no-brotli, to show what precompression
costs. Prints a Markdown table (and writes it with --out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.corpus import PACKAGES  # noqa: E402


def compile_once(source: Path, out: Path, ignore: tuple[str, ...], jobs: int,
                 extra: list[str]) -> tuple[float, dict]:
    args = [sys.executable, "-m", "assetbuild", "compile", str(source), "--out", str(out),
            "--jobs", str(jobs), "--json", "-", *extra]
    for pattern in ignore:
        args += ["--ignore", pattern]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, package in PACKAGES.items():
            try:
                source = package.source()
            except BaseException as exc:  # pytest.skip: the corpus is not installed
                print(f"skipping {name}: {exc}", file=sys.stderr)
                continue
            full_s, full = compile_once(source, Path(tmp) / f"{name}-full", package.ignore, args.jobs, [])
            bare_s, bare = compile_once(source, Path(tmp) / f"{name}-bare", package.ignore, args.jobs,
                                        ["--no-gzip", "--no-brotli"])
            t = bare["timings"]
            rows.append(f"| {name} | {full['files_in']} | {full['bytes_in'] / 1e6:.2f} | "
                        f"{full['bytes_written'] / 1e6:.2f} | {full_s:.1f} | {bare_s:.1f} | "
                        f"{t.get('transform', 0):.1f} | {t.get('rewrite', 0):.2f} | "
                        f"{len(full['warnings'])} |")
            notes += [f"- {name}: {w}" for w in full["warnings"]]
            print(rows[-1], file=sys.stderr)
    table = "\n".join([
        "| package | files | MB in | MB written (with .gz/.br) | s, defaults | s, no compression "
        "| transform s (no compression) | rewrite s | warnings |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", *rows])
    text = table + "\n\n" + ("Warnings:\n" + "\n".join(notes) if notes else "No warnings.") + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
