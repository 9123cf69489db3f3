"""Timing of the release tools on a synthetic release: publish to SeaweedFS and moto with
1 and 8 parallel uploads (first publish, then the no-op second publish), and pack/verify.

    python benchmarks/release_tools.py [--files 400] [--size 4096]

Servers run on 127.0.0.1 as subprocesses (see tests/support/s3servers.py). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.release import make_release  # noqa: E402
from support.s3servers import start_moto, start_seaweedfs  # noqa: E402


def cli(*args: str, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assetbuild", *args], check=True, capture_output=True,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--size", type=int, default=4096)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="assetbuild-bench-"))
    files = {f"js/m{i:05d}.js": (f"/*{i}*/" + "x" * opts.size).encode()[:opts.size]
             for i in range(opts.files)}
    out = work / "release"
    make_release(out, files, gzip_names=tuple(files))
    count = sum(1 for p in out.rglob("*") if p.is_file() and p.parent.name != "manifests")
    rows = [f"release: {opts.files} assets of {opts.size} B + .gz = {count} objects"]
    rows.append("| step | seconds |")
    rows.append("| --- | ---: |")
    rows.append(f"| pack | {cli('pack', str(out), '-o', str(work / 'r.tar.gz')):.2f} |")
    rows.append(f"| verify folder | {cli('verify', str(out)):.2f} |")
    rows.append(f"| verify archive | {cli('verify', str(work / 'r.tar.gz')):.2f} |")
    for name, start in (("SeaweedFS", start_seaweedfs), ("moto", start_moto)):
        (work / name).mkdir()
        server = start(work / name)
        try:
            server.client().create_bucket(Bucket="bench")
            for jobs in (1, 8):
                to = f"s3://bench/j{jobs}"
                args = ("publish", str(out), "--to", to, "--endpoint-url", server.endpoint,
                        "--jobs", str(jobs), "-q")
                first = cli(*args, env=server.env())
                again = cli(*args, env=server.env())
                rows.append(f"| {name}: publish --jobs {jobs} (first) | {first:.2f} |")
                rows.append(f"| {name}: publish --jobs {jobs} (again, uploads nothing) | {again:.2f} |")
        finally:
            server.stop()
    rows.append(f"| `python -m assetbuild --version` (start-up, for scale) | {cli('--version'):.2f} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
