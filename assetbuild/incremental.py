"""Incremental builds with the build cache: what of the release in place a build can keep.

Two records go into the cache after a build with ``--cache``. The build record, keyed by
everything a build reads (settings, tool version, every source's name, place and bytes),
says which manifest and import map that build wrote: when they are in place and whole, a
rebuild stops after hashing the sources. The ledger says what the build made of each
source (its bytes' digest, what it references, its warnings), so that a rebuild after a
few changes transforms only the changed files and what references them, and takes the
rest from the release in place.

A ledger is stored under the sha256 of the manifest it produced, with the settings it was
built with, and is used only while that very manifest is in place and whole; one that
does not parse or has the wrong shape is ignored (the build then reads every file).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import blake3

from assetbuild import __version__, folder_lock, plain, schedule, sources
from assetbuild.bundle import Bundle
from assetbuild.cache import Cache
from assetbuild.compress import ENCODING_SUFFIX
from assetbuild.config import Config
from assetbuild.diagnostics import Diagnostic
from assetbuild.importmap import IMPORTMAP_NAME
from assetbuild.manifest import MANIFEST_NAME, ManifestError, check_entry
from assetbuild.output import HISTORY_DIR
from assetbuild.transform import TRANSFORM_VERSION, Options, Written
from assetbuild.workers import Pool


class Unchanged(NamedTuple):
    """The release in place is exactly what this build would write: its facts."""

    build_id: str
    assets: int
    size_out: int
    bytes_in: int
    plain: int


class Memo(NamedTuple):
    """What the cache will record of this build, once it is committed."""

    record_key: str  # digest of everything the build reads
    settings: str  # digest of the settings and tool version
    digests: list[str]  # hex blake3 of each source's bytes, in order
    previous: dict[str, Record] | None  # the ledger of the release in place


class Plan(NamedTuple):
    """What is left to do: the sources (with sizes), those to transform, and the assets
    taken as they are from the release in place."""

    found: dict[str, sources.Source]
    todo: dict[str, sources.Source]
    done: dict[str, Written]
    unchanged: Unchanged | None = None  # set when nothing is left to do
    memo: Memo | None = None  # None without a build cache, or when a source cannot be read


def everything(found: dict[str, sources.Source]) -> Plan:
    """The plan of a build without a cache: every source transformed."""
    return Plan(found, found, {})


def check(config: Config, opts: Options, found: dict[str, sources.Source],
          bundles: list[Bundle], pool: Pool | None,
          warn: Callable[[Diagnostic], None]) -> Plan:
    """Read and hash every source, and compare with the cache's records and the release in
    place: what is left to do (nothing, with ``unchanged`` set, when the release in place
    is exactly this build's; its warnings are repeated)."""
    assert config.cache_dir and config.out
    cache = Cache(config.cache_dir)
    facts = schedule.hash_sources(found, pool)  # read and hashed by the workers, while
    release = release_in_place(config.out)  # this process checks the release
    settings = settings_key(config, opts)
    record_key, sizes, digests = inputs_key(found, settings, facts)
    record = reuse(cache, record_key, release)
    if record is not None and release is not None:
        for diag in record["warnings"]:
            warn(diag)
        if release["plain"]:
            with folder_lock.locked(config.out, exclusive=False):  # `clean` waits
                plain.restore(config.out, release["entries"])
        return Plan(found, {}, {}, unchanged=Unchanged(
            release["build_id"], release["assets"], release["size_out"], record["bytes_in"],
            release["plain"]))
    found = sources.with_sizes(found, sizes, warn)
    if record_key is None or digests is None:  # a source cannot be read: the build says which
        return everything(found)
    todo: dict[str, sources.Source] = found
    done: dict[str, Written] = {}
    previous = None
    # Maps are no sources: a rebuild with them takes nothing from the release in place.
    if release is not None and not opts.sourcemaps:
        previous = load(cache, release["manifest"], settings)
        todo, done = _kept(previous, release, found, digests, bundles)
    del release  # the manifest in place, parsed: large on a large tree
    for name in sorted(done.keys() & found.keys()):  # their warnings, as last time
        assert previous is not None
        for diag in previous[name].warnings:
            warn(diag)
    return Plan(found, todo, done, memo=Memo(record_key, settings, digests, previous))


def record(cache_dir: Path, plan: Plan, release: dict[str, str], bytes_in: int,
           warnings: list[Diagnostic], file_warnings: dict[str, Sequence[Diagnostic]],
           targets: dict[str, list[str | None]], missing: dict[str, list[Diagnostic]]) -> None:
    """Record the build just committed: the build record (*release*: the sha256 of its
    manifest and import map; *warnings*: those after the scan) and the ledger (*targets*
    and *missing*: what each text referenced, found or not)."""
    memo = plan.memo
    assert memo is not None
    cache = Cache(cache_dir)
    cache.put_json(f"build-{memo.record_key}", {
        **release, "bytes_in": bytes_in, "warnings": [d.to_json() for d in warnings]})
    previous, done = memo.previous, plan.done
    save(cache, release["manifest"], memo.settings, {
        name: previous[name] if previous and name in done else Record(
            digest, sorted({t for t in targets.get(name, ()) if t}),
            [*file_warnings.get(name, ()), *missing.get(name, ())])
        for name, digest in zip(plan.found, memo.digests)})


def settings_key(config: Config, opts: Options) -> str:
    """A digest of the settings and tool version a build depends on."""
    return blake3.blake3(json.dumps([
        __version__, TRANSFORM_VERSION, str(opts.out_dir), opts.minify, opts.gzip, opts.brotli,
        opts.brotli_quality, opts.hash_length, opts.url_prefix, config.strict,
        sorted(config.bundles.items()), opts.sourcemaps,
        [[str(root), config.prefixes.get(root, "")] for root in config.sources],
        config.plain_names,
    ]).encode("utf-8")).hexdigest()


def inputs_key(found: dict[str, sources.Source], settings: str,
               facts: Iterable[tuple[bytes, int]]
               ) -> tuple[str | None, list[int] | None, list[str] | None]:
    """A digest of everything a build reads (settings, tool version, every source's name,
    place and bytes), the sources' sizes and the hex digests of their bytes; all None
    when a source cannot be read (the full build reports it)."""
    hasher = blake3.blake3(settings.encode("ascii"))
    sizes, digests = [], []
    try:
        for (name, src), (digest, size) in zip(found.items(), facts):
            hasher.update(f"\0{name}\0{src.path}\0".encode("utf-8", "surrogateescape"))
            hasher.update(digest)
            sizes.append(size)
            digests.append(digest.hex())
    except (OSError, ValueError):
        return None, None, None
    return hasher.hexdigest(), sizes, digests


def release_in_place(out_dir: Path) -> dict | None:
    """Digests of the manifest and import map in *out_dir*, with the manifest's build id,
    number of assets and bytes, when every file the manifest lists is in place (with its
    size); None otherwise. The cache record says whether a build wrote exactly these."""
    try:
        data = (out_dir / MANIFEST_NAME).read_bytes()
        import_map = (out_dir / IMPORTMAP_NAME).read_bytes()
        manifest = json.loads(data)
        build_id, assets = str(manifest["build_id"]), manifest["assets"]
        if not (out_dir / HISTORY_DIR / f"{build_id}.json").is_file():
            return None
        base = os.path.join(out_dir, "")
        size_out = plain_copies = 0
        for entry in assets.values():
            if os.stat(base + entry["path"]).st_size != entry["size"]:
                return None
            size_out += entry["size"]
            for rel in entry["encodings"].values():
                os.stat(base + rel)
            if "plain" in entry:  # copies under plain names: each build replaces them
                plain_copies += 1
                if os.stat(base + entry["plain"]["path"]).st_size != entry["size"]:
                    return None
                for rel in entry["plain"]["encodings"].values():
                    os.stat(base + rel)
    except (OSError, KeyError, TypeError, AttributeError, ValueError):
        return None
    return {"manifest": hashlib.sha256(data).hexdigest(),
            "importmap": hashlib.sha256(import_map).hexdigest(),
            "build_id": build_id, "assets": len(assets), "size_out": size_out,
            "plain": plain_copies,
            "entries": assets}


def reuse(cache: Cache, key: str | None, release: dict | None) -> dict | None:
    """The cache's record of a build from exactly these inputs, when that build wrote the
    release now in place (same manifest and import map); else None."""
    record = cache.get_json(f"build-{key}") if key and release else None
    try:
        if record is None or release is None or record["manifest"] != release["manifest"] or \
                record["importmap"] != release["importmap"]:
            return None
        if not isinstance(record["bytes_in"], int):
            return None
        record["warnings"] = [Diagnostic.from_json(d) for d in record["warnings"]]
    except (KeyError, TypeError, ValueError):
        return None
    return record


def _kept(previous: dict[str, Record] | None, release: dict,
          found: dict[str, sources.Source], digests: list[str],
          bundles: list[Bundle]) -> tuple[dict[str, sources.Source], dict[str, Written]]:
    """With the ledger of the release in place: the sources to transform again, and the
    assets (sources and bundles) to take as they are from the release in place.
    Without one, or when that cannot be done: every source, nothing taken."""
    redo = to_redo(previous, dict(zip(found, digests)), bundles) if previous else None
    if redo is None:
        return found, {}
    entries = release.pop("entries")  # taken apart as it is read: never held twice
    done = {}
    for name in [*found, *(b.name for b in bundles)]:
        entry = entries.pop(name, None)
        if name not in redo:
            size_in = found[name].size if name in found else 0
            written = written_from_manifest(name, entry, size_in)
            if written is None:
                return found, {}
            done[name] = written
    return {name: src for name, src in found.items() if name in redo}, done


# -- the ledger ----------------------------------------------------------------------------

class Record(NamedTuple):
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
        if value is None or value["settings"] != settings:
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
    """The Written of an asset as the manifest in place lists it: None unless the entry
    passes the manifest's own check and names its variants as this build would."""
    try:
        data = check_entry(name, entry)
    except ManifestError:
        return None
    path, encodings = data["path"], data.get("encodings", {})
    if not all(ENCODING_SUFFIX.get(enc) and rel == path + ENCODING_SUFFIX[enc]
               for enc, rel in encodings.items()):
        return None
    return Written(name, path, data["size"], data["integrity"], tuple(sorted(encodings)), size_in,
                   0, data.get("module") is True)
