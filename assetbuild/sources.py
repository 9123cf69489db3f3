"""Finding source files under source roots and giving each a safe logical name."""

from __future__ import annotations

import fnmatch
import json
import operator
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from assetbuild.diagnostics import Diagnostic, UsageError, warning
from assetbuild.manifest import MANIFEST_NAME
from assetbuild.paths import is_inside, is_within


class Source(NamedTuple):
    """One file found under a source root (kept small: a large tree has many)."""

    logical: str  # POSIX path relative to its root
    path: str  # its place on disk: the root joined with the logical path
    root: Path
    size: int


def bad_name_reason(name: str) -> str | None:
    """Why a file or folder name cannot become part of a logical name (None when it can)."""
    if name.isascii() and name.isprintable() and "\\" not in name:
        return None  # the common case, without a look at each character
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "its name contains control characters"
    if "\\" in name:
        return "its name contains a backslash"
    return None


class Ignore:
    """Ignore patterns (dotfiles the walk skips by itself): a pattern without '/' matches
    a name in any folder, a pattern with '/' matches the logical path from the root."""

    def __init__(self, patterns: Iterable[str]):
        self.patterns = [p.strip("/") for p in patterns if p.strip("/")]

    def __call__(self, logical: str, name: str) -> bool:
        """Whether the file or folder *logical* (whose last part is *name*) is ignored."""
        for pattern in self.patterns:
            if "/" in pattern:
                if fnmatch.fnmatchcase(logical, pattern) or fnmatch.fnmatchcase(
                        logical, pattern + "/*"):
                    return True
            elif fnmatch.fnmatchcase(name, pattern):
                return True
        return False


def scan(roots: list[Path], ignore: Iterable[str] = (), exclude: Iterable[Path] = (),
         on_warning: Callable[[Diagnostic], None] = lambda d: None,
         sizes: bool = True, prefixes: Mapping[Path, str] | None = None) -> dict[str, Source]:
    """Every file under *roots*, keyed by logical name; the first root wins on a clash.

    A root in *prefixes* puts its files under that folder ("vendor/": vendor/x.js).

    Folders in *exclude* (the output folder, the cache) are never read. Symlinks are
    followed only when their target stays inside the root. With *sizes* False, sizes are
    left at -1 for a later pass that reads the files anyway (see with_sizes).
    """
    ignored = Ignore(ignore)
    excluded = {os.path.realpath(p) for p in exclude}
    found: dict[str, Source] = {}
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"{root}: source folder not found" if not root.exists()
                             else f"{root}: source is not a folder")
        prefix = (prefixes or {}).get(root, "")
        count = 0
        for source in _walk(root, prefix, ignored, excluded, on_warning, sizes):
            count += 1
            first = found.get(source.logical)
            if first is None:
                found[source.logical] = source
            else:
                on_warning(warning(
                    f"'{source.logical}' is also in {first.root}, which comes first; this copy is ignored",
                    file=str(source.path)))
        if not count:
            on_warning(warning("source folder holds no files to compile", file=str(root),
                               hint="dotfiles, dot-folders, --ignore patterns and earlier "
                                    "releases are skipped"))
    return dict(sorted(found.items()))


def with_sizes(found: dict[str, Source], sizes: list[int] | None,
               on_warning: Callable[[Diagnostic], None] = lambda d: None) -> dict[str, Source]:
    """*found* with every size filled in: from *sizes* (one per source, in order) or, when
    None, from the file system (a file that cannot be read any more is left out)."""
    if sizes is not None:
        return {name: Source(src.logical, src.path, src.root, size)
                for (name, src), size in zip(found.items(), sizes)}
    sized = {}
    for name, src in found.items():
        if src.size < 0:
            try:
                src = Source(src.logical, src.path, src.root, os.stat(src.path).st_size)
            except OSError as exc:
                on_warning(warning(f"cannot read: {exc.strerror}", file=src.path))
                continue
        sized[name] = src
    return sized


def _walk(root: Path, prefix: str, ignored: Ignore, excluded: set[str],
          on_warning: Callable[[Diagnostic], None], sizes: bool = True) -> Iterable[Source]:
    real_root = os.path.realpath(root)
    stack = [(str(root), prefix, real_root)]  # folder, its logical prefix, its real path
    by_name = operator.attrgetter("name")
    patterns = bool(ignored.patterns)
    while stack:
        folder, prefix, folder_real = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=by_name)
        except OSError as exc:
            on_warning(warning(f"cannot read folder: {exc.strerror}", file=folder))
            continue
        if any(entry.name == MANIFEST_NAME for entry in entries) and _is_release(folder):
            on_warning(warning("skipped: an earlier assetbuild release (its manifest.json "
                               "was written by assetbuild), not a source folder", file=folder,
                               hint="delete it, or write releases outside the source folders"))
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if name[0] == ".":  # dotfiles: always ignored
                continue
            reason = bad_name_reason(name)
            if reason:
                on_warning(warning(f"skipped: {reason}", file=entry.path))
                continue
            logical = prefix + name
            if patterns and ignored(logical, name):
                continue
            try:  # the kind of a file that is not a symlink costs no system call
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_link:
                if not is_inside(entry.path, real_root):
                    on_warning(warning("symlink leads outside its source root; not followed",
                                       file=entry.path))
                    continue
            if is_dir:
                # A folder that is not a link really is in its parent: no system call.
                real = os.path.realpath(entry.path) if is_link else os.path.join(folder_real, name)
                if real in excluded or (is_link and is_within(folder_real, real)):
                    continue  # the output folder, or a symlink loop
                subfolders.append((entry.path, logical + "/", real))
            elif is_file:
                size = -1
                try:
                    if sizes:
                        size = entry.stat().st_size
                except OSError as exc:
                    on_warning(warning(f"cannot read: {exc.strerror}", file=entry.path))
                    continue
                yield Source(sys.intern(logical), entry.path, root, size)
        stack.extend(reversed(subfolders))


def _is_release(folder: str) -> bool:
    """Whether *folder* holds a manifest.json written by assetbuild (a release folder)."""
    try:
        with open(os.path.join(folder, MANIFEST_NAME), "rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return False
    return (isinstance(data, dict) and isinstance(data.get("generator"), str)
            and data["generator"].startswith("assetbuild ") and "assets" in data)
