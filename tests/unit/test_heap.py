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
    # 80 MB in heap chunks (below the mmap threshold); every other one freed leaves 40 MB
    # of holes between chunks that stay, which free() cannot give back by shrinking the
    # top of the heap.
    chunks = [b"x" * 100_000 for _ in range(800)]
    del chunks[::2]
    resident = rss()
    held = resident - base - sum(map(len, chunks))  # the holes, freed by Python
    heap.release()
    print(held, resident - rss())
""")


@pytest.mark.e2e  # a fresh process: its heap holds nothing else
@pytest.mark.skipif(heap.malloc_trim() is None, reason="malloc_trim is glibc's")
def test_release_returns_the_pages_free_keeps():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    held, freed = map(int, proc.stdout.split())
    assert held > 20_000_000  # freed by Python, still resident
    assert freed > 0.9 * held
