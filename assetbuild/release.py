"""A release folder as a whole: its manifest, the files that manifest names, and its history.

Shared by archive, verify, clean and publish. Imports only the standard library, the
manifest and import map formats and ``output`` (for the history folder's name), none of
which loads the minifiers or blake3.
"""

from __future__ import annotations

from dataclasses import dataclass

from assetbuild.importmap import IMPORTMAP_NAME
from assetbuild.manifest import MANIFEST_NAME, Entry, Manifest
from assetbuild.output import HISTORY_DIR  # manifests/<build_id>.json: recent manifests

__all__ = ["HISTORY_DIR", "IMPORTMAP_NAME", "FileRef", "file_refs", "is_metadata"]


@dataclass(frozen=True)
class FileRef:
    """One file a manifest needs: an asset's own file, or one of its precompressed variants."""

    path: str  # relative POSIX path inside the release
    asset: str  # the logical name that needs it
    entry: Entry
    encoding: str | None = None  # None for the asset itself, else "gzip", "br", ...
    plain: bool = False  # a copy under the asset's plain name (replaced by each build)


def file_refs(manifest: Manifest) -> list[FileRef]:
    """Every file *manifest* needs, sorted by path, each path once (the first asset wins;
    a fingerprinted file before any plain copy)."""
    refs: dict[str, FileRef] = {}
    names = sorted(manifest.assets)
    for name in names:
        entry = manifest.assets[name]
        refs.setdefault(entry.path, FileRef(entry.path, name, entry))
        for encoding in sorted(entry.encodings):
            path = entry.encodings[encoding]
            refs.setdefault(path, FileRef(path, name, entry, encoding))
    for name in names:
        entry = manifest.assets[name]
        plain = entry.plain
        if plain is not None:
            refs.setdefault(plain.path, FileRef(plain.path, name, entry, plain=True))
            for encoding in sorted(plain.encodings):
                path = plain.encodings[encoding]
                refs.setdefault(path, FileRef(path, name, entry, encoding, plain=True))
    return [refs[path] for path in sorted(refs)]


def is_metadata(path: str) -> bool:
    """True for the release's own bookkeeping files: manifest, import map, manifest history."""
    if path in (MANIFEST_NAME, IMPORTMAP_NAME):
        return True
    folder, _, name = path.rpartition("/")
    return folder == HISTORY_DIR and name.endswith(".json")
