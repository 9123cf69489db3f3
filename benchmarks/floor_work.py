"""The least work a cold minify + gzip build must do, with no minifying, scanning or
orchestration: read every file, blake3 and sha384 it, deflate the compressible ones
(libdeflate gzip, level 6), and create the fingerprinted file and its .gz, in one process per
CPU. Usage: python benchmarks/floor_work.py SOURCE OUT (OUT must not exist)."""

from __future__ import annotations

import hashlib
import os
import sys
from multiprocessing import get_context

import blake3
from deflate import gzip_compress

COMPRESSIBLE = {"css", "js", "mjs", "cjs", "json", "map", "svg", "html", "htm", "txt", "xml",
                "csv", "md", "ico", "ttf", "otf", "eot", "wasm", "webmanifest", "yaml", "yml"}
FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


def work(items: list[tuple[str, str]]) -> None:
    for src, dest in items:
        with open(src, "rb", buffering=0) as fh:
            data = fh.readall()
        digest = blake3.blake3(data).hexdigest()[:16]
        hashlib.sha384(data).digest()
        stem, dot, ext = dest.rpartition(".")
        path = f"{stem}.{digest}.{ext}" if dot else f"{dest}.{digest}"
        outputs = [(path, data)]
        if ext.lower() in COMPRESSIBLE:
            outputs.append((path + ".gz", gzip_compress(data, 6)))
        for name, blob in outputs:
            fd = os.open(name, FLAGS, 0o644)
            os.write(fd, blob)
            os.close(fd)


def main(source: str, out: str) -> None:
    items = []
    for folder, _, files in os.walk(source):
        target = os.path.join(out, os.path.relpath(folder, source))
        os.makedirs(target)
        items += [(os.path.join(folder, f), os.path.join(target, f)) for f in sorted(files)]
    workers = os.cpu_count() or 1
    ctx = get_context("fork")
    procs = [ctx.Process(target=work, args=(items[i::workers],)) for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            sys.exit(p.exitcode)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
