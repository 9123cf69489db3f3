"""An advisory lock on an output folder, so that `clean` never removes what a build is
writing: builds share the lock, `clean` takes it alone.

The lock is taken on the folder itself (flock on its descriptor), so no lock file joins the
release, and the system releases it when the process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(folder: Path, exclusive: bool, on_wait: Callable[[], None] = lambda: None
           ) -> Iterator[None]:
    """Hold the lock on *folder* (which must exist) for the block: shared, or *exclusive*.
    When another process holds it the other way, call *on_wait* once and wait. Where the
    file system has no such locks (some network mounts), the block runs without one."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield  # what the block does with the folder will report the problem
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, mode)
        except OSError:
            pass  # no locks here (ENOLCK, EOPNOTSUPP): as before locks existed
        yield
    finally:
        os.close(fd)
