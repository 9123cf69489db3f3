"""Test instrument (put this folder on PYTHONPATH): when RELIABILITY_PHASE_FD names an open
file descriptor, write "<phase>" to it as `compile_release` enters each of its phases and
"end <phase>" as it leaves it, so a test knows exactly which phase a SIGKILL interrupted.
"""

import os

_fd = os.environ.get("RELIABILITY_PHASE_FD")
if _fd:
    from assetbuild import compiler

    _enter, _exit = compiler._Phase.__enter__, compiler._Phase.__exit__

    def _announce(text: str) -> None:
        if os.getpid() == _main:
            os.write(int(_fd), (text + "\n").encode())

    def __enter__(self):
        _announce(self.name)
        return _enter(self)

    def __exit__(self, *exc):
        result = _exit(self, *exc)
        _announce("end " + self.name)
        return result

    _main = os.getpid()
    compiler._Phase.__enter__, compiler._Phase.__exit__ = __enter__, __exit__
