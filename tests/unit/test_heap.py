"""assetbuild.heap.release gives freed heap memory back to the system (glibc)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from assetbuild import heap

PROBE = textwrap.dedent("""
    from assetbuild import heap

    def rss():
        return int(open("/proc/self/statm").read().split()[1]) * 4096

    base = rss()
    # 40 MB in heap chunks (below the mmap threshold), each followed by a small one that
    # stays, so that free() cannot give them back by shrinking the top of the heap.
    chunks, pins = [], []
    for _ in range(400):
        chunks.append(b"x" * 100_000)
        pins.append(b"y" * 1000)
    del chunks
    held = rss() - base
    heap.release()
    print(held, held - (rss() - base))
""")


@pytest.mark.e2e  # a fresh process: its heap holds nothing else
@pytest.mark.skipif(heap._TRIM is None, reason="malloc_trim is glibc's")
def test_release_returns_the_pages_free_keeps():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    held, freed = map(int, proc.stdout.split())
    assert held > 20_000_000  # freed by Python, still resident
    assert freed > 0.9 * held
