"""Copies under plain names: libraries such as tinymce, ace, MathJax or monaco's loader
build file URLs at run time from a base path and ask for ``themes/silver/theme.min.js``,
not its fingerprinted name. Assets matching the ``plain_names`` patterns are also written
under their logical names (with their .gz/.br), before the manifest that lists them.

A plain name is not content-addressed: each build replaces its file through a rename,
so it must be served with short caching.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from assetbuild.compress import ENCODING_SUFFIX
from assetbuild.diagnostics import Diagnostic, warning
from assetbuild.manifest import PlainCopy
from assetbuild.output import same_bytes, second_name
from assetbuild.release import is_metadata
from assetbuild.transform import Written


def plan(written: dict[str, Written], patterns: Iterable[str],
         warn: Callable[[Diagnostic], None]) -> dict[str, PlainCopy]:
    """The plain copy of each asset whose logical name matches *patterns*. A copy whose
    name a fingerprinted file, the release's own files or another copy holds already is
    left out, with a warning."""
    matches = matcher(patterns)
    chosen = [name for name in sorted(written) if matches(name)]
    if not chosen:
        return {}
    claimed = {p for w in written.values() for p in (w.path, *w.encoding_paths().values())}
    copies = {}
    for name in chosen:
        copy = PlainCopy(name, {enc: name + ENCODING_SUFFIX[enc] for enc in written[name].encodings})
        paths = [copy.path, *copy.encodings.values()]
        taken = [p for p in paths if p in claimed or is_metadata(p)]
        if taken:
            warn(warning(f"not written under its plain name: {taken[0]} is a file of the "
                         "release already", file=name))
            continue
        claimed.update(paths)
        copies[name] = copy
    return copies


def matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test of logical names with the rules of ``ignore``: a pattern with '/' matches the
    path (or a folder of it), one without matches the file name in any folder. One regular
    expression for each kind: a large tree has tens of thousands of names to test."""
    cleaned = [p.strip("/") for p in patterns if p.strip("/")]
    paths = [fnmatch.translate(p) for p in cleaned if "/" in p]
    paths += [fnmatch.translate(p + "/*") for p in cleaned if "/" in p]
    names = [fnmatch.translate(p) for p in cleaned if "/" not in p]
    by_path = re.compile("|".join(paths)).match if paths else None
    by_name = re.compile("|".join(names)).match if names else None

    def matches(logical: str) -> bool:
        return bool((by_path and by_path(logical))
                    or (by_name and by_name(logical.rpartition("/")[2])))
    return matches


def write(out_dir: Path, written: dict[str, Written], copies: dict[str, PlainCopy]) -> None:
    """Put each copy in place (a hard link to the fingerprinted file where the file system
    allows), replacing an older one atomically, and remove a plain variant this build no
    longer has (a stale .gz would be served for new bytes)."""
    _put(out_dir, [(written[name].path, written[name].encoding_paths(), copy)
                   for name, copy in copies.items()])


def restore(out_dir: Path, entries: Mapping[str, Any]) -> None:
    """Make the copies match *entries*, the manifest in place, when a build reuses it
    whole: a build killed after writing its copies, or one running at the same time, may
    have left its own bytes under the plain names."""
    _put(out_dir, [(entry["path"], entry["encodings"],
                    PlainCopy(entry["plain"]["path"], entry["plain"]["encodings"]))
                   for entry in entries.values() if "plain" in entry])


def _put(out_dir: Path, copies: list[tuple[str, Mapping[str, str], PlainCopy]]) -> None:
    """Each (fingerprinted path, its encodings' paths, copy)."""
    claimed = {p for _, _, copy in copies for p in (copy.path, *copy.encodings.values())}
    for path, encodings, copy in copies:
        _place(out_dir / path, out_dir / copy.path)
        for enc, suffix in ENCODING_SUFFIX.items():
            if enc in copy.encodings:
                _place(out_dir / encodings[enc], out_dir / copy.encodings[enc])
            elif copy.path + suffix not in claimed:
                _remove_stale(out_dir / (copy.path + suffix))


def _place(source: Path, dest: Path) -> None:
    try:
        if os.path.samefile(source, dest) or same_bytes(source, dest):
            return  # a rebuild of unchanged sources changes nothing
    except OSError:
        pass  # not there yet
    second_name(source, dest)


def _remove_stale(path: Path) -> None:
    try:
        if not path.is_symlink() and path.is_file():
            path.unlink()
    except OSError:
        pass
