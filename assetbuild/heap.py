"""Handing a worker's freed memory back to the system after large files.

glibc keeps the heap that a large file's texts grew (its mmap threshold rises once a big
buffer is freed, so later big buffers come from the heap too), and a worker that begins
with the largest files would hold that peak for the rest of the build. ``malloc_trim``
returns the free pages. Elsewhere (macOS, musl) ``release`` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache


@cache
def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None; looked up on first use, not at every start-up."""
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release() -> None:
    """Give free heap pages back to the system (glibc only)."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)
