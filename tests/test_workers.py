"""The build's worker pool (assetbuild.workers): real forked processes and real pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assetbuild.diagnostics import BuildError, error
from assetbuild.workers import PIPE_BYTES, Pool


@pytest.fixture(autouse=True)
def deadline():
    """A hang (the bug these tests look for) fails the test instead of stalling the run."""
    def expire(*_):
        raise TimeoutError("the pool hung")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def echo_reversed(data: bytes) -> bytes:
    return data[::-1]


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def fail_to_build(name: str) -> None:
    raise BuildError(error("cannot write: no space left on device", file=name))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


_warmed_in: int | None = None  # set in a worker by warm(): that worker's pid
_tasks_run = 0
_tasks_before_warm_up: int | None = None


def warm() -> None:
    global _warmed_in, _tasks_before_warm_up
    _warmed_in, _tasks_before_warm_up = os.getpid(), _tasks_run


def warm_state(seconds: float) -> tuple[int, int | None, int | None]:
    """(this worker's pid, the pid warm() ran in, tasks it had run before warm())."""
    global _tasks_run
    _tasks_run += 1
    time.sleep(seconds)
    return os.getpid(), _warmed_in, _tasks_before_warm_up


def fail_to_warm() -> None:
    raise RuntimeError("no head start")


def test_large_tasks_and_results_both_ways_do_not_deadlock():
    # Each message is several times a pipe's capacity, and many are in flight at once:
    # the build process must keep reading results while it still has tasks to write.
    payloads = [os.urandom(3 * PIPE_BYTES + i) for i in range(8)]
    with Pool(2) as pool:
        tasks = [pool.submit(echo_reversed, data) for data in payloads]
        for task in tasks:
            pool.wait([task])
        assert [task.result() for task in tasks] == [data[::-1] for data in payloads]


def test_work_is_spread_over_the_workers_and_they_exit_with_the_pool():
    with Pool(2) as pool:
        tasks = [pool.submit(nap, 0.05) for _ in range(6)]
        for task in tasks:
            pool.wait([task])
        pids = {task.result() for task in tasks}
    assert len(pids) == 2 and os.getpid() not in pids
    for pid in pids:  # exited and reaped: no zombies left
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_urgent_tasks_go_before_the_queued_ones():
    with Pool(2) as pool:
        queued = [pool.submit(nap, 0.1) for _ in range(10)]
        urgent = pool.submit(nap, 0, urgent=True)
        pool.wait([urgent])
        assert sum(task.done() for task in queued) <= 5
        assert not queued[-1].done()
        for task in queued:
            pool.wait([task])


def test_an_error_in_a_worker_is_raised_here_with_its_details():
    with Pool(2) as pool:
        task = pool.submit(fail_to_build, "static/app.js")
        pool.wait([task])
        with pytest.raises(BuildError) as caught:
            task.result()
        assert caught.value.diagnostics[0].file == "static/app.js"
        assert any("fail_to_build" in note for note in caught.value.__notes__)
        after = pool.submit(echo_reversed, b"abc")  # the worker is still serving
        pool.wait([after])
        assert after.result() == b"cba"


def test_a_worker_killed_mid_task_is_a_build_error_not_a_hang():
    with Pool(2) as pool:
        task = pool.submit(die)
        with pytest.raises(BuildError, match="killed by signal 9"):
            pool.wait([task])


def test_each_worker_warms_up_in_its_own_process_before_its_tasks():
    with Pool(2, warm_up=warm) as pool:
        tasks = [pool.submit(warm_state, 0.05) for _ in range(6)]
        for task in tasks:
            pool.wait([task])
    states = [task.result() for task in tasks]
    assert len({pid for pid, _, _ in states}) == 2  # both workers ran tasks
    assert all(warmed == pid and before == 0 for pid, warmed, before in states), states
    assert _warmed_in is None  # this process never ran it


@pytest.mark.e2e
def test_the_compiler_warm_up_loads_what_the_first_text_needs():
    code = ("import sys; from assetbuild import transform; transform.warm_up(); "
            "assert {'assetbuild.css', 'assetbuild.js'} <= set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_warm_up_that_fails_leaves_the_workers_serving():
    with Pool(2, warm_up=fail_to_warm) as pool:
        task = pool.submit(echo_reversed, b"abc")
        pool.wait([task])
        assert task.result() == b"cba"
