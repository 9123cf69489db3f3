"""Run one command and measure its wall time and the peak memory of its whole process tree.

Two memory figures per run:
- tree peak: the highest sum of RSS (and of PSS, which counts pages shared between forked
  workers once) over the command and all its descendants, sampled from /proc every 20 ms;
- largest process: the highest VmHWM (a process's own RSS high-water mark, reset by exec)
  seen in /proc among the processes of the tree. (wait4's ru_maxrss is not used: after
  fork and exec it still counts the parent's memory at fork time.)
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

SAMPLE_SECONDS = 0.02


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system time of the command and its waited-for descendants
    returncode: int
    tree_rss: int  # bytes
    tree_pss: int
    max_process_rss: int  # highest VmHWM of one process of the tree
    output: str


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    """Run *cmd* to completion; stdout and stderr are captured together."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(seconds, usage.ru_utime + usage.ru_stime, proc.returncode, sampler.peak_rss,
               sampler.peak_pss, sampler.peak_hwm, text)


class _TreeSampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_hwm = 0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.is_set():
            rss = pss = 0
            for pid in _tree(self.root):
                r, p = _memory(pid)
                rss += r
                pss += p
                self.peak_hwm = max(self.peak_hwm, _high_water(pid))
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._done.wait(SAMPLE_SECONDS)


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue  # exited meanwhile
    return pids


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes of a live, not-yet-reaped process; zeros when it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, pss


def _high_water(pid: int) -> int:
    """VmHWM in bytes (the process's peak RSS so far); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
