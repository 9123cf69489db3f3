"""Removing old files from a long-lived output folder without breaking rolling deploys.

The compiler keeps a copy of each manifest as manifests/<build_id>.json. Cleaning keeps
the current manifest and the newest others (by the copy's file time) up to N in all, and
removes every file that none of the kept manifests names. It
never follows symlinks out of the folder and never removes what the current manifest needs.
`assetbuild clean` holds the folder's lock (assetbuild.folder_lock) alone while it plans and
removes, so it never runs while a compile writes into the same folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from assetbuild import manifest as manifest_mod
from assetbuild.manifest import MANIFEST_NAME
from assetbuild.release import HISTORY_DIR, IMPORTMAP_NAME, file_refs


@dataclass(frozen=True)
class CleanPlan:
    """What cleaning a folder keeps and removes (relative POSIX paths)."""

    kept_builds: list[str]  # build ids, the current one first
    keep: frozenset[str]
    remove: list[str]


def plan(root: str | os.PathLike[str], keep: int) -> CleanPlan:
    """Decide what to remove from *root*, keeping *keep* manifests (at least 1: the current).

    Raises ManifestError, removing nothing, when the current or a kept manifest is
    missing or invalid: without them there is no knowing which files are still needed.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    root = Path(root)
    current = manifest_mod.load(root / MANIFEST_NAME)
    current_copy = f"{HISTORY_DIR}/{current.build_id}.json"
    history = [h for h in _history(root) if h != current_copy]
    kept_history = history[:keep - 1]
    if (root / current_copy).is_file():
        kept_history.insert(0, current_copy)
    needed = {MANIFEST_NAME, IMPORTMAP_NAME, *kept_history}
    needed.update(ref.path for ref in file_refs(current))
    for rel in kept_history:
        needed.update(ref.path for ref in file_refs(manifest_mod.load(root / rel)))
    remove = [rel for rel in _files(root) if rel not in needed]
    others = [Path(rel).stem for rel in kept_history if rel != current_copy]
    return CleanPlan([current.build_id, *others], frozenset(needed), remove)


def apply(root: str | os.PathLike[str], cleanup: CleanPlan) -> None:
    """Remove the planned files, then any folder left empty (never *root* itself)."""
    root = Path(root)
    for rel in cleanup.remove:
        (root / rel).unlink(missing_ok=True)
    for folder, _, _ in os.walk(root, topdown=False):
        if Path(folder) != root:
            try:
                os.rmdir(folder)
            except OSError:
                pass  # not empty: something still needed lives there


def _history(root: Path) -> list[str]:
    """History manifests under root/manifests, newest first."""
    folder = root / HISTORY_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for item in folder.iterdir():
        if item.suffix == ".json" and item.is_file() and not item.is_symlink():
            found.append((item.stat().st_mtime_ns, item.name))
    found.sort(key=lambda t: (-t[0], t[1]))
    return [f"{HISTORY_DIR}/{name}" for _, name in found]


def _files(root: Path) -> list[str]:
    """Every file and file symlink under *root*, not descending into symlinked folders."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
        rel = Path(folder).relative_to(root).as_posix()
        found.extend(name if rel == "." else f"{rel}/{name}" for name in sorted(files))
    return found

