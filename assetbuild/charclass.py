"""Regex character classes over ASCII and all of Unicode that Python compiles quickly.

A class such as ``[A-Za-z_\\u0080-\\U0010ffff]`` makes Python build a table of every code
point when it compiles the pattern, in every process that transforms files. The same set
written as ``[^`` the other ASCII characters ``]`` compiles almost at once and matches as
fast (figures: benchmarks/REPORT-decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Collection


def _escaped(codes: list[int]) -> str:
    return "".join(f"\\x{c:02x}" for c in codes)


def ascii_or_any_beyond(allowed: Collection[str]) -> str:
    """A class matching the ASCII characters in *allowed* and every non-ASCII character."""
    return "[^" + _escaped([c for c in range(128) if chr(c) not in allowed]) + "]"


def ascii_except(refused: Collection[str]) -> str:
    """A class matching the ASCII characters not in *refused*, and nothing beyond ASCII."""
    return "[" + _escaped([c for c in range(128) if chr(c) not in refused]) + "]"


def match_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where *pattern*, which matches at any position (it may match nothing), ends when
    matched at *pos*."""
    m = pattern.match(text, pos)
    assert m is not None, pattern.pattern
    return m.end()
