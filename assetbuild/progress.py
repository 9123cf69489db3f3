"""Build progress for people: a bar on a terminal, sparse plain lines in logs, or nothing.

A terminal gets one line redrawn in place (files done / total, MB/s). Anything else
(a Docker build log, CI) gets a plain line at most every ``interval`` seconds, so a long
build shows it is alive without flooding the log. Messages (warnings) go through
`message` so they never land in the middle of the bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class Progress:
    """Reports ``update(done, total, bytes_done)`` calls on *stream*."""

    def __init__(self, stream: TextIO, mode: str, interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        if mode not in ("bar", "lines", "quiet"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.stream, self.mode, self.interval, self.clock = stream, mode, interval, clock
        self.start = clock()
        self.last_draw: float | None = None
        self.shown = ""  # the bar text on screen, if any

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool = False) -> Progress:
        """A bar when *stream* is a terminal, plain lines otherwise, nothing when *quiet*."""
        if quiet:
            return cls(stream, "quiet")
        return cls(stream, "bar" if _is_terminal(stream) else "lines")

    def update(self, done: int, total: int, bytes_done: int) -> None:
        if self.mode == "quiet" or total <= 0:
            return
        now = self.clock()
        finished = done >= total
        if self.mode == "bar":
            if finished or self.last_draw is None or now - self.last_draw >= REDRAW_SECONDS:
                self._draw(self._bar(done, total, bytes_done, now))
                self.last_draw = now
        elif not finished and now - (self.start if self.last_draw is None
                                     else self.last_draw) >= self.interval:
            self.stream.write(f"assetbuild: {self._counts(done, total, bytes_done, now)}\n")
            self.stream.flush()
            self.last_draw = now

    def message(self, text: str) -> None:
        """Print a line of its own, then put the bar back."""
        shown = self.shown
        self._clear()
        self.stream.write(text + "\n")
        if shown:
            self._draw(shown)
        self.stream.flush()

    def close(self) -> None:
        """Take the bar off the screen."""
        self._clear()
        self.stream.flush()

    def _counts(self, done: int, total: int, bytes_done: int, now: float) -> str:
        elapsed = max(now - self.start, 1e-6)
        return (f"{done}/{total} files ({100 * done // total}%), "
                f"{bytes_done / 1e6:.1f} MB, {bytes_done / 1e6 / elapsed:.1f} MB/s")

    def _bar(self, done: int, total: int, bytes_done: int, now: float) -> str:
        filled = BAR_WIDTH * done // total
        return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] " + self._counts(
            done, total, bytes_done, now)

    def _draw(self, text: str) -> None:
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self.shown = text

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.shown = ""


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
