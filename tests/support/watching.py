"""A running `assetbuild watch` in a subprocess, for tests that edit files under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class Watch:
    """A running `assetbuild watch` whose output is collected line by line."""

    def __init__(self, app: Path, *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
        self.tmp = app.parent / "tmp"  # where the session's build cache goes
        self.tmp.mkdir(exist_ok=True)
        env["TMPDIR"] = str(self.tmp)
        self.proc = subprocess.Popen([sys.executable, "-m", "assetbuild", "watch", *args],
                                     cwd=app, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._seen = threading.Condition()
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    def _pump(self, stream, sink: list[str]) -> None:
        for line in stream:
            with self._seen:
                sink.append(line)
                self._seen.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 20) -> None:
        """Wait until *text* has appeared in *count* lines of standard output."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while sum(text in line for line in self.lines) < count:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no {text!r} x{count} in output:\n{''.join(self.lines)}"
                                         f"\nstderr:\n{''.join(self.errors)}")
                self._seen.wait(min(left, 0.2))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
