"""Test instrument (put this folder on PYTHONPATH): when RELIABILITY_PHASE_FD names an open
file descriptor, write "<phase>" to it as `compile_release` enters each of its phases and
"end <phase>" as it leaves it, so a test knows exactly which phase a SIGKILL interrupted.

It wraps ``assetbuild.compiler._phase``, the context manager that times each phase; if that
changes, it writes "hook-broken: <reason>" so the test fails with a clear message.
"""

import contextlib
import os

_fd = os.environ.get("RELIABILITY_PHASE_FD")


def _announce(text: str) -> None:
    if os.getpid() == _main:  # not from worker processes
        os.write(int(_fd), (text + "\n").encode())


if _fd:
    _main = os.getpid()
    try:
        from assetbuild import compiler

        _timed = compiler._phase

        @contextlib.contextmanager
        def _announced(timings, name):
            _announce(name)
            with _timed(timings, name):
                yield
            _announce("end " + name)

        compiler._phase = _announced
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        _announce(f"hook-broken: {exc!r}")
