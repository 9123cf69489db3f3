"""A guard that makes every filesystem call fail, to prove run-time helpers touch no file."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
from collections.abc import Iterator

_ACTIVE = False
_FILE_EVENTS = ("open", "os.listdir", "os.scandir", "os.mkdir", "os.remove", "os.rename",
                "os.chmod", "os.utime", "shutil.copyfile", "os.truncate")


def _audit(event: str, args: tuple) -> None:
    if _ACTIVE and event in _FILE_EVENTS:
        raise PermissionError(f"file access during a no-file section: {event} {args[:1]!r}")


sys.addaudithook(_audit)


def _refuse(name: str):
    def refuse(*args, **kwargs):
        raise PermissionError(f"file access during a no-file section: {name}{args[:1]!r}")
    return refuse


@contextlib.contextmanager
def no_file_access() -> Iterator[None]:
    """Inside the block, open/stat/listdir/scandir and friends raise PermissionError."""
    global _ACTIVE
    patched = {(os, "stat"), (os, "lstat"), (os, "access"), (os, "listdir"), (os, "scandir"),
               (os, "open"), (builtins, "open"), (io, "open")}
    saved = {(mod, name): getattr(mod, name) for mod, name in patched}
    for mod, name in patched:
        setattr(mod, name, _refuse(name))
    _ACTIVE = True
    try:
        yield
    finally:
        _ACTIVE = False
        for (mod, name), value in saved.items():
            setattr(mod, name, value)
