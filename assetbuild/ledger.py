"""What the last build made of each source (its bytes' digest, what it references, its
warnings), kept in the build cache, so that a rebuild after a few changes transforms only
the changed files and what references them, and takes the rest from the release in place.

A ledger is stored under the sha256 of the manifest it produced, with the settings it was
built with, and is used only while that very manifest is in place and whole; one that
does not parse or has the wrong shape is ignored (the build then reads every file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from assetbuild.bundle import Bundle
from assetbuild.cache import Cache
from assetbuild.compress import ENCODING_SUFFIX
from assetbuild.diagnostics import Diagnostic
from assetbuild.transform import Written


@dataclass(slots=True)
class Record:
    """One source in a ledger."""

    digest: str  # blake3 of its bytes, hex
    targets: list[str]  # the assets its final bytes name (for stylesheets and scripts)
    warnings: list[Diagnostic]


def _key(manifest_sha256: str) -> str:
    return f"ledger-{manifest_sha256}"


def save(cache: Cache, manifest_sha256: str, settings: str, records: dict[str, Record]) -> None:
    cache.put_json(_key(manifest_sha256), {"settings": settings, "sources": {
        name: [r.digest, r.targets, [d.to_json() for d in r.warnings]]
        for name, r in records.items()}})


def load(cache: Cache, manifest_sha256: str, settings: str) -> dict[str, Record] | None:
    """The records of the build that wrote this manifest with these settings, or None."""
    value = cache.get_json(_key(manifest_sha256))
    try:
        if value["settings"] != settings:
            return None
        raw = value.pop("sources")
        del value
        records = {}
        while raw:  # taken apart as it is read: a large tree's ledger is never held twice
            name, (digest, targets, warnings) = raw.popitem()
            if not (isinstance(digest, str) and isinstance(targets, list)
                    and all(isinstance(t, str) for t in targets)):
                return None
            records[name] = Record(digest, targets, [Diagnostic.from_json(d) for d in warnings])
        return records
    except (KeyError, TypeError, ValueError, AttributeError):
        return None



def to_redo(records: dict[str, Record], digests: dict[str, str],
            bundles: Iterable[Bundle]) -> set[str] | None:
    """The sources and bundles to build again: those whose bytes changed, what references
    them (again and again), and every part of a bundle built again. None when sources
    were added or removed (a reference that was missing may now be found)."""
    if digests.keys() != records.keys():
        return None
    bundles = list(bundles)
    referrers: dict[str, list[str]] = {}
    for name, record in records.items():
        for target in record.targets:
            referrers.setdefault(target, []).append(name)
    for b in bundles:
        for part in b.parts:
            for target in [part, *records[part].targets]:
                referrers.setdefault(target, []).append(b.name)
    redo = {name for name, digest in digests.items() if records[name].digest != digest}
    todo = list(redo)
    while todo:
        for referrer in referrers.get(todo.pop(), ()):
            if referrer not in redo:
                redo.add(referrer)
                todo.append(referrer)
    for b in bundles:
        if b.name in redo:
            redo.update(b.parts)  # joining needs every part's text
    return redo


def written_from_manifest(name: str, entry: Any, size_in: int) -> Written | None:
    """The Written of an asset as the manifest in place lists it (None if malformed)."""
    try:
        path, size, integrity, encodings = (entry["path"], entry["size"], entry["integrity"],
                                            entry["encodings"])
        if not (isinstance(path, str) and type(size) is int and isinstance(integrity, str)
                and all(ENCODING_SUFFIX.get(enc) and rel == path + ENCODING_SUFFIX[enc]
                        for enc, rel in encodings.items())):
            return None
        return Written(name, path, size, integrity, tuple(sorted(encodings)), size_in, 0,
                       entry.get("module") is True)
    except (KeyError, TypeError, AttributeError):
        return None
