"""The least work a cold build must do, with no minifying, scanning or orchestration:
read every file, blake3 and sha384 it, deflate the compressible ones (libdeflate gzip,
level 6) and, with --brotli Q, brotli them the way assetbuild does at quality Q (those
compress.gets_brotli picks: 1 KiB and more, not source maps), and
create the fingerprinted file and its variants, in one process per CPU.
Usage: python benchmarks/floor_work.py SOURCE OUT [--brotli Q] (OUT must not exist)."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from multiprocessing import get_context

import blake3
from deflate import gzip_compress

from assetbuild.compress import brotli_bytes, compressible, gets_brotli

FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


def work(items: list[tuple[str, str]], brotli_quality: int | None) -> None:
    for src, dest in items:
        with open(src, "rb", buffering=0) as fh:
            data = fh.readall()
        digest = blake3.blake3(data).hexdigest()[:16]
        hashlib.sha384(data).digest()
        stem, dot, ext = dest.rpartition(".")
        path = f"{stem}.{digest}.{ext}" if dot else f"{dest}.{digest}"
        outputs = [(path, data)]
        if compressible(dest):
            outputs.append((path + ".gz", gzip_compress(data, 6)))
            if brotli_quality is not None and gets_brotli(dest, len(data)):
                outputs.append((path + ".br", brotli_bytes(dest, data, brotli_quality)))
        for name, blob in outputs:
            fd = os.open(name, FLAGS, 0o644)
            os.write(fd, blob)
            os.close(fd)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--brotli", type=int, metavar="Q", help="also write .br at quality Q")
    args = p.parse_args(argv)
    items = []
    for folder, _, files in os.walk(args.source):
        target = os.path.join(args.out, os.path.relpath(folder, args.source))
        os.makedirs(target)
        items += [(os.path.join(folder, f), os.path.join(target, f)) for f in sorted(files)]
    workers = os.cpu_count() or 1
    ctx = get_context("fork")
    procs = [ctx.Process(target=work, args=(items[i::workers], args.brotli)) for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            sys.exit(p.exitcode)


if __name__ == "__main__":
    main()
