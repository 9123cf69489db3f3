"""Save-to-manifest latency of `assetbuild watch` (target: under one second).

For each tree, start the real watcher, then save one CSS file (which another file
imports) again and again; each time, measure from the write until manifest.json names
the new fingerprint. The same run times a cold `assetbuild compile` of the tree (what a
developer without the watcher would run) for a ratio.

    python benchmarks/watch_latency.py [--edits 20] [--files 800] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = 'sources = ["static"]\nout = "build/static"\n'


def example_tree(base: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / "example", base, ignore=shutil.ignore_patterns("build"))
    return base


def synthetic_tree(base: Path, files: int) -> Path:
    """*files* JS and CSS files (about 11 kB each) in 20 folders, plus the edited pair."""
    for i in range(files // 2):
        folder = base / "static" / f"d{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.js").write_text(f"function f{i}(a, b) {{ return a + b; }}\n" * 300)
        (folder / f"s{i}.css").write_text(f".c{i} {{ color: red; margin: 0 auto; }}\n" * 300)
    (base / "static" / "css").mkdir(parents=True, exist_ok=True)
    (base / "static" / "css" / "base.css").write_text("body { color: black }\n")
    (base / "static" / "css" / "site.css").write_text('@import "base.css";\n')
    (base / "assetbuild.toml").write_text(CONFIG)
    return base


def manifest_path(app: Path, logical: str) -> str | None:
    try:
        return json.loads((app / "build/static/manifest.json").read_bytes())["assets"][logical]["path"]
    except (OSError, ValueError, KeyError):
        return None


def cold_compile(app: Path) -> float:
    shutil.rmtree(app / "build", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assetbuild", "compile", "-q"], cwd=app, check=True)
    return time.perf_counter() - started


def watch_latencies(app: Path, edits: int) -> list[float]:
    shutil.rmtree(app / "build", ignore_errors=True)
    proc = subprocess.Popen([sys.executable, "-m", "assetbuild", "watch"], cwd=app,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("watching"):
                break
        css = app / "static" / "css" / "base.css"
        latencies = []
        for i in range(edits):
            before = manifest_path(app, "css/site.css")
            started = time.perf_counter()
            css.write_text(f"body {{ color: #{i:06x} }}\n")
            while manifest_path(app, "css/site.css") == before:
                if time.perf_counter() - started > 30:
                    raise RuntimeError("no rebuild within 30 s")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.3)  # a developer does not save 100 times a second
        return latencies
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--files", type=int, default=800)
    parser.add_argument("--report", type=Path, default=Path(__file__).with_name("watch_latency.md"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="assetbuild-watch-bench-") as tmp:
        trees = [("fixtures/example (15 files)", example_tree(Path(tmp) / "example")),
                 (f"synthetic ({args.files + 2} files)", synthetic_tree(Path(tmp) / "big", args.files))]
        for label, app in trees:
            cold = cold_compile(app)
            lat = sorted(watch_latencies(app, args.edits))
            p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
            rows.append((label, statistics.median(lat), p95, lat[-1], cold))
            print(f"{label}: median {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                  f"max {lat[-1] * 1000:.0f} ms; cold compile {cold:.2f} s", flush=True)
    lines = [
        "# `assetbuild watch`: save-to-manifest latency",
        "",
        f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}. {args.edits} saves of "
        "`css/base.css` (imported by `css/site.css`) per tree; latency runs from the write until "
        "manifest.json names the new `css/site.css`. Target: under 1 s. Peer: a cold "
        "`assetbuild compile` of the same tree in the same run.",
        "",
        "| tree | median | p95 | max | cold compile | cold / median |",
        "|---|---|---|---|---|---|",
    ]
    for label, med, p95, worst, cold in rows:
        lines.append(f"| {label} | {med * 1000:.0f} ms | {p95 * 1000:.0f} ms | {worst * 1000:.0f} ms "
                     f"| {cold:.2f} s | {cold / med:.1f}x |")
    lines.append("")
    args.report.write_text("\n".join(lines), encoding="utf-8")
    print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
