"""Where a path really lies: the one check, for every module, that a file or folder is
inside another once symlinks are followed."""

from __future__ import annotations

import os


def is_within(real: str, folder: str) -> bool:
    """Whether the real path *real* is *folder* (a real path too) or below it. No system
    call: for loops that resolved both paths already."""
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def is_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether the real location of *path* is *root* (also followed) or below it."""
    return is_within(os.path.realpath(path), os.path.realpath(root))
