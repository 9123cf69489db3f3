"""Run one command and measure its wall time and the peak memory of its whole process tree.

Two memory figures per run:
- tree peak: the highest sum of RSS over the command and all its descendants, sampled from
  /proc/PID/statm every 20 ms, and of PSS (which counts pages shared between forked workers
  once), from /proc/PID/smaps_rollup every 0.5 s and whenever the RSS sum has grown by 5%
  since the last reading. Reading smaps_rollup walks the process's page tables under its
  memory lock: 4 ms for 150 MB. Read every 20 ms for three processes, it took a third of a
  core and slowed a two-core machine's parallel build by about 10%, while a one-process
  peer ran on the idle core;
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
PSS_EVERY = 25  # samples: PSS every 0.5 s (see above),
PSS_GROWTH = 1.05  # and whenever the RSS sum grew by 5% since PSS was last read


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
        samples = 0
        rss_at_pss = 0  # the RSS sum when PSS was last read
        while not self._done.is_set():
            pids = _tree(self.root)
            rss = sum(_rss(pid) for pid in pids)
            self.peak_rss = max(self.peak_rss, rss)
            if samples % PSS_EVERY == 0 or rss > rss_at_pss * PSS_GROWTH:
                rss_at_pss = rss  # and while memory grows, so that short runs are seen too
                self.peak_pss = max(self.peak_pss, sum(_pss(pid) for pid in pids))
            for pid in pids:
                self.peak_hwm = max(self.peak_hwm, _high_water(pid))
            samples += 1
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


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    """Resident bytes of a live, not-yet-reaped process (kept counters: cheap); 0 when gone."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set size in bytes (a walk of the page tables); 0 when gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


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
