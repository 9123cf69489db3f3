"""`compile_release`: the build, as named phases.

scan sources -> plan bundles -> transform (parallel, cached), and as soon as everything
a stylesheet or script references is written, rewrite, fingerprint and write it -> the
rewrites left -> commit manifest.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections import deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import blake3

from assetbuild import (__version__, bundle, fingerprint, folder_lock, importmap, ledger, paths,
                        plain, sources)
from assetbuild.cache import Cache
from assetbuild.compress import BROTLI_DEFAULT_QUALITY, brotli_available
from assetbuild.config import Config
from assetbuild.diagnostics import BuildError, Diagnostic, UsageError, counted, error
from assetbuild.importmap import IMPORTMAP_NAME
from assetbuild.manifest import MANIFEST_NAME, PlainCopy
from assetbuild.manifest import render_entry, write_rendered
from assetbuild.output import HISTORY_DIR, commit_manifest, write_atomic
from assetbuild.linker import Linker
from assetbuild.spool import TextSpool
from assetbuild.transform import (TRANSFORM_VERSION, Options, Outcome, Written, gets_sourcemap,
                                  process_batch, warm_up)
from assetbuild.workers import Done, Pool, Task

BATCH_BYTES = 4 << 20
BATCH_FILES = 64
MAX_IN_FLIGHT = 32  # rewrites handed to workers and not yet written (bounds the bytes held)
HASH_CHUNK = 1000  # sources hashed per worker task when checking the build cache
T = TypeVar("T")


@dataclass
class Result:
    """What a build did, for the summary line and --json."""

    out_dir: Path
    build_id: str
    assets: int
    changed: bool
    size_out: int = 0  # bytes of the fingerprinted files, uncompressed
    files_in: int = 0
    files_processed: int = 0  # the others were taken as they are from the release in place
    bytes_in: int = 0
    bytes_out: int = 0
    plain: int = 0  # assets also written under their plain names
    warnings: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "out": str(self.out_dir), "build_id": self.build_id,
            "changed": self.changed, "assets": self.assets,
            "files_in": self.files_in, "files_processed": self.files_processed,
            "bytes_in": self.bytes_in,
            "bytes_written": self.bytes_out, "plain_copies": self.plain,
            "warnings": [d.format() for d in self.warnings],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }

    def describe(self) -> str:
        total = sum(self.timings.values())
        state = "" if self.changed else " (unchanged)"
        return (f"compiled {counted(self.files_in, 'file')} ({_mb(self.bytes_in)}) into "
                f"{self.out_dir}: {counted(self.assets, 'asset')} ({_mb(self.size_out)}"
                f"{f', {self.plain} also under plain names' if self.plain else ''}), "
                f"build {self.build_id}{state}, "
                f"{counted(len(self.warnings), 'warning')}, {total:.2f}s")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


@contextmanager
def _phase(timings: dict[str, float], name: str) -> Iterator[None]:
    """Add the time spent in the block to ``timings[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def compile_release(config: Config, on_warning: Callable[[Diagnostic], None] = lambda d: None,
                    on_progress: Callable[[int, int, int], None] | None = None) -> Result:
    """Build the release described by *config*; raise BuildError when it cannot be built.

    The previous manifest stays in place until every file of the new release is written.
    *on_progress* is called as files are transformed with (files done, files, bytes read).
    """
    with _without_cycle_collector(), ExitStack() as writing:
        return _build(config, on_warning, on_progress, writing)


def _build(config: Config, on_warning: Callable[[Diagnostic], None],
           on_progress: Callable[[int, int, int], None] | None, writing: ExitStack) -> Result:
    """The build; *writing* holds the output folder's lock once it is taken."""
    warnings: list[Diagnostic] = []

    def warn(diag: Diagnostic) -> None:
        warnings.append(diag)
        on_warning(diag)

    for diag in config.warnings:
        warn(diag)
    out_dir = config.out
    assert out_dir is not None
    timings: dict[str, float] = {}
    use_brotli = brotli_available() if config.brotli is None else config.brotli
    if use_brotli and not brotli_available():
        raise UsageError("brotli output needs the brotli package: pip install brotli (the brotli "
                         "extra)")
    opts = Options(out_dir=out_dir, minify=config.minify, gzip=config.gzip, brotli=use_brotli,
                   brotli_quality=(BROTLI_DEFAULT_QUALITY if config.brotli_quality is None
                                   else config.brotli_quality),
                   hash_length=config.hash_length, url_prefix=config.url_prefix,
                   cache_dir=config.cache_dir, sourcemaps=config.sourcemaps)

    for root in config.sources:
        if paths.is_inside(root, out_dir):
            raise UsageError(f"{out_dir}: the output folder must not be or contain a source "
                             f"folder ({root}); write the release somewhere else, e.g. build/static")
    # Workers are forked first, while this process is small: each starts with a copy of
    # what this process holds, and the list of sources is large on a large tree.
    # Without a build cache, every file is transformed: the workers compile the minifiers'
    # patterns while this process scans. With one, most builds only hash the sources, and
    # that head start would take CPU from the hashing (no-change rebuild: +4%).
    with _pool(config.jobs, warm=config.cache_dir is None) as pool:
        with _phase(timings, "scan"):
            exclude = [out_dir] + ([config.cache_dir] if config.cache_dir else [])
            # With a build cache, sizes come from the check, which reads every file anyway.
            found = sources.scan(config.sources, config.ignore, exclude, warn,
                                 sizes=config.cache_dir is None, prefixes=config.prefixes)
            where = str(config.config_file) if config.config_file else "bundles"
            bundles, problems = bundle.plan(config.bundles, found, where)
            if problems:
                raise BuildError(problems)
            parts = {p for b in bundles for p in b.parts}
        scan_warnings = len(warnings)

        plan = _Plan(found, found, {})
        if config.cache_dir:
            with _phase(timings, "check"):
                plan = _check_cache(config, opts, found, bundles, pool, warn)
            if isinstance(plan, Result):  # the release in place is this build's
                plan.warnings, plan.timings = warnings, timings
                return plan
        found, todo, done = plan.found, plan.todo, plan.done

        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildError(error(f"cannot create the output folder: {exc.strerror}",
                                   file=str(out_dir))) from None
        # Shared with other builds until the manifest and the ledger are saved, so that
        # `assetbuild clean` (which takes it alone) never removes files written but not listed.
        writing.enter_context(folder_lock.locked(out_dir, exclusive=False))

        # A source named like the map an asset gets (js/a.js.map) waits: that map takes its name.
        held_maps = {name + ".map" for name in [*found, *(b.name for b in bundles)]
                     if name + ".map" in todo and gets_sourcemap(name, opts)
                     } if opts.sourcemaps else set()
        if held_maps:
            todo = {name: src for name, src in todo.items() if name not in held_maps}
        batches = list(_batches(todo, parts))
        if len(batches) <= 1:
            pool = None  # one batch: no gain in shipping it to another process
        with TextSpool() as spool:
            linker = Linker(found, bundles, config, spool, opts, done, held_maps)
            files_done = len(found) - len(todo)
            bytes_in = sum(found[name].size for name in done if name in found)
            file_warnings: dict[str, list[Diagnostic]] = {}

            def take(outcome: Outcome) -> None:
                nonlocal files_done, bytes_in
                for diag in outcome.diagnostics:
                    warn(diag)
                if outcome.diagnostics:
                    file_warnings[outcome.logical] = outcome.diagnostics
                linker.add(outcome)
                files_done += 1
                bytes_in += outcome.size_in
                if on_progress:
                    on_progress(files_done, len(found), bytes_in)

            scheduler = _Scheduler(pool or _InlinePool(), linker)
            with _phase(timings, "transform"):  # rewrites start as soon as they can
                scheduler.transform(batches, opts, take)
            with _phase(timings, "rewrite"):  # the rewrites still waiting or running
                scheduler.drain()
                linker.close(warn)

    written = linker.written
    with _phase(timings, "commit"):
        copies = plain.plan(written, config.plain_names, warn)
        plain.write(out_dir, written, copies)
        build_id, changed, release_digests = _commit(out_dir, written, copies)

    if plan.record_key:
        assert config.cache_dir and plan.settings and plan.digests is not None
        cache = Cache(config.cache_dir)
        cache.put_json(f"build-{plan.record_key}", {
            **release_digests, "bytes_in": bytes_in,
            "warnings": [d.to_json() for d in warnings[scan_warnings:]]})
        previous = plan.previous
        ledger.save(cache, release_digests["manifest"], plan.settings, {
            name: previous[name] if previous and name in done else ledger.Record(
                digest, sorted({t for t in linker.targets.get(name, ()) if t}),
                file_warnings.get(name, []) + linker.missing.get(name, []))
            for name, digest in zip(found, plan.digests)})
    return Result(out_dir, build_id, len(written), changed,
                  size_out=sum(w.size for w in written.values()), files_in=len(found),
                  files_processed=len(todo),
                  bytes_in=bytes_in, bytes_out=sum(w.bytes_out for w in written.values()),
                  plain=len(copies), warnings=warnings, timings=timings)


@dataclass
class _Plan:
    """What the build cache leaves to do: the sources (with sizes), those to transform, and
    the assets taken as they are from the release in place; with what the cache records
    of this build."""

    found: dict[str, sources.Source]
    todo: dict[str, sources.Source]
    done: dict[str, Written]
    record_key: str | None = None
    settings: str | None = None
    digests: list[str] | None = None  # hex blake3 of each source's bytes, in order
    previous: dict[str, ledger.Record] | None = None  # the ledger of the release in place


def _check_cache(config: Config, opts: Options, found: dict[str, sources.Source],
                 bundles: list[bundle.Bundle], pool: Pool | None,
                 warn: Callable[[Diagnostic], None]) -> _Plan | Result:
    """Read and hash every source: a Result when the release in place is exactly what
    this build would write (its warnings repeated), else what is left to do."""
    assert config.cache_dir and config.out
    cache = Cache(config.cache_dir)
    facts = _source_facts(found, pool)  # read and hashed by the workers, while
    release = _release_in_place(config.out)  # this process checks the release
    settings = _settings_key(config, opts)
    record_key, sizes, digests = _inputs_key(found, settings, facts)
    record = _reuse(cache, record_key, release)
    if record is not None and release is not None:
        for diag in record["warnings"]:
            warn(diag)
        if release["plain"]:
            with folder_lock.locked(config.out, exclusive=False):  # `clean` waits
                plain.restore(config.out, release["entries"])
        return Result(config.out, release["build_id"], release["assets"], False,
                      size_out=release["size_out"], files_in=len(found),
                      bytes_in=record["bytes_in"], plain=release["plain"])
    found = sources.with_sizes(found, sizes, warn)
    plan = _Plan(found, found, {}, record_key, settings, digests)
    # Maps are no sources: a rebuild with them takes nothing from the release in place.
    if release is not None and digests is not None and not opts.sourcemaps:
        plan.previous = ledger.load(cache, release["manifest"], settings)
        plan.todo, plan.done = _to_redo(plan.previous, release, found, digests, bundles)
    del release  # the manifest in place, parsed: large on a large tree
    for name in sorted(plan.done.keys() & found.keys()):  # their warnings, as last time
        assert plan.previous is not None
        for diag in plan.previous[name].warnings:
            warn(diag)
    return plan


def _commit(out_dir: Path, written: dict[str, Written],
            copies: dict[str, PlainCopy]) -> tuple[str, bool, dict[str, str]]:
    """Write importmap.json, then manifest.json (the commit point), entry by entry; an
    asset with a copy under its plain name gets a "plain" field.
    Returns the build id, whether the release changed, and the sha256 of both files
    (which the build cache records)."""
    modules = {n: w.entry() for n, w in written.items() if w.is_module}
    map_path, map_data = out_dir / IMPORTMAP_NAME, importmap.dumps(modules).encode("utf-8")
    if not map_path.is_file() or map_path.read_bytes() != map_data:
        write_atomic(map_path, map_data)
    map_digest = hashlib.sha256(map_data).hexdigest()
    del modules, map_data
    names = sorted(written)

    def render(write: Callable[[str], object]) -> str:
        return write_rendered(((n, written[n].rendered() if n not in copies else render_entry(
            {**written[n].entry().to_json(), "plain": copies[n].to_json()})) for n in names),
                              f"assetbuild {__version__}", write)
    build_id, changed, manifest_digest = commit_manifest(out_dir, render)
    return build_id, changed, {"manifest": manifest_digest, "importmap": map_digest}


def _source_facts(found: dict[str, sources.Source],
                  pool: Pool | None) -> Iterator[tuple[bytes, int]]:
    """(digest, size) of every source, in order. With workers, the work is handed out
    now and the results wait until they are read."""
    paths = [src.path for src in found.values()]
    if pool is None or len(paths) < HASH_CHUNK:
        return map(fingerprint.file_facts, paths)
    # All sent at once: the workers hash on while this process checks the release in place.
    tasks = deque(pool.submit(fingerprint.files_facts, paths[i:i + HASH_CHUNK], ahead=len(paths))
                  for i in range(0, len(paths), HASH_CHUNK))

    def in_order(pool: Pool) -> Iterator[tuple[bytes, int]]:
        while tasks:
            task = tasks.popleft()  # dropped once read: results are not all held at once
            pool.wait([task])
            yield from task.result()
    return in_order(pool)


def _settings_key(config: Config, opts: Options) -> str:
    """A digest of the settings and tool version a build depends on."""
    return blake3.blake3(json.dumps([
        __version__, TRANSFORM_VERSION, str(opts.out_dir), opts.minify, opts.gzip, opts.brotli,
        opts.brotli_quality, opts.hash_length, opts.url_prefix, config.strict,
        sorted(config.bundles.items()), opts.sourcemaps,
        [[str(root), config.prefixes.get(root, "")] for root in config.sources],
        config.plain_names,
    ]).encode("utf-8")).hexdigest()


def _inputs_key(found: dict[str, sources.Source], settings: str,
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


def _to_redo(previous: dict[str, ledger.Record] | None, release: dict,
             found: dict[str, sources.Source], digests: list[str],
             bundles: list[bundle.Bundle]) -> tuple[dict[str, sources.Source], dict[str, Written]]:
    """With the ledger of the release in place: the sources to transform again, and the
    assets (sources and bundles) to take as they are from the release in place.
    Without one, or when that cannot be done: every source, nothing taken."""
    redo = ledger.to_redo(previous, dict(zip(found, digests)), bundles) if previous else None
    if redo is None:
        return found, {}
    entries = release.pop("entries")  # taken apart as it is read: never held twice
    done = {}
    for name in [*found, *(b.name for b in bundles)]:
        entry = entries.pop(name, None)
        if name not in redo:
            size_in = found[name].size if name in found else 0
            written = ledger.written_from_manifest(name, entry, size_in)
            if written is None:
                return found, {}
            done[name] = written
    return {name: src for name, src in found.items() if name in redo}, done


def _release_in_place(out_dir: Path) -> dict | None:
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
        size_out = 0
        for entry in assets.values():
            if os.stat(base + entry["path"]).st_size != entry["size"]:
                return None
            size_out += entry["size"]
            for rel in entry["encodings"].values():
                os.stat(base + rel)
            if "plain" in entry:  # copies under plain names: each build replaces them
                if os.stat(base + entry["plain"]["path"]).st_size != entry["size"]:
                    return None
                for rel in entry["plain"]["encodings"].values():
                    os.stat(base + rel)
    except (OSError, KeyError, TypeError, AttributeError, ValueError):
        return None
    return {"manifest": hashlib.sha256(data).hexdigest(),
            "importmap": hashlib.sha256(import_map).hexdigest(),
            "build_id": build_id, "assets": len(assets), "size_out": size_out,
            "plain": sum(1 for entry in assets.values() if "plain" in entry),
            "entries": assets}


def _reuse(cache: Cache, key: str | None, release: dict | None) -> dict | None:
    """The cache's record of a build from exactly these inputs, when that build wrote the
    release now in place (same manifest and import map); else None."""
    record = cache.get_json(f"build-{key}") if key and release else None
    try:
        if record is None or record["manifest"] != release["manifest"] or \
                record["importmap"] != release["importmap"]:
            return None
        if not isinstance(record["bytes_in"], int):
            return None
        record["warnings"] = [Diagnostic.from_json(d) for d in record["warnings"]]
    except (KeyError, TypeError, ValueError):
        return None
    return record


def _batches(found: dict[str, sources.Source], parts: set[str]) -> Iterator[list[tuple[str, str, bool]]]:
    batch: list[tuple[str, str, bool]] = []
    size = 0
    # Large files first, so the pool is not left waiting on one big file at the end.
    for src in sorted(found.values(), key=lambda s: -s.size):
        batch.append((src.logical, src.path, src.logical in parts))
        size += src.size
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector (in the workers too, which are forked inside): a build
    makes no reference cycles worth collecting, and on a large tree the collector walks
    every record again and again (5-10% of the CPU at 50,000 files)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def _pool(jobs: int, warm: bool) -> Iterator[Pool | None]:
    """Worker processes for the build (None: work in this process), started at once;
    with *warm*, each prepares for transforming files while this process scans."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1:
        yield None
        return
    with Pool(workers, warm_up if warm else None) as pool:
        yield pool


class _InlinePool:
    """Runs each task at once, in this process (one job, or one batch of files)."""

    size = 0  # worker processes

    def submit(self, fn: Callable[..., T], *args: object, urgent: bool = False) -> Task[T]:
        return Done(fn, *args)

    def wait(self, tasks: Iterable[Task]) -> None:
        """Every task is done already."""


class _Scheduler:
    """Keeps the workers busy. Rewrites that became possible go first, then transform
    batches; a bounded number of each is in flight (which bounds memory), and batch
    outcomes are taken in order, so warnings come in the same order on every run."""

    def __init__(self, pool: Pool | _InlinePool, linker: Linker):
        self.pool, self.linker = pool, linker
        # Outcomes are taken in order, so a slow batch at the head holds back the ones done
        # behind it. Two per worker and one more left the workers idle now and then; four
        # spare batches fewer of those waits (2 workers: 2.0-2.1 idle core-seconds against
        # 2.15-2.4 at scale 4). Each holds up to BATCH_BYTES of text. In this process, one.
        self.batches_in_flight = 2 * pool.size + 5 if pool.size else 1
        self.rewrites: dict[Task[Written], str] = {}

    def transform(self, batches: list[list[tuple[str, str, bool]]], opts: Options,
                  take: Callable[[Outcome], None]) -> None:
        queued: deque[Task[list[Outcome]]] = deque()
        todo = iter(batches)
        while True:
            self._start_rewrites()
            while len(queued) < self.batches_in_flight and (batch := next(todo, None)):
                queued.append(self.pool.submit(process_batch, batch, opts))
            if not queued:
                return
            self._wait([queued[0]])
            while queued and queued[0].done():
                for outcome in queued.popleft().result():
                    take(outcome)

    def drain(self) -> None:
        """Run the rewrites left until none is possible."""
        while True:
            self._start_rewrites()
            if not self.rewrites:
                return
            self._wait([])

    def _start_rewrites(self) -> None:
        while len(self.rewrites) < MAX_IN_FLIGHT and (task := self.linker.next_task()):
            name, function, args = task
            self.rewrites[self.pool.submit(function, *args, urgent=True)] = name

    def _wait(self, also: list[Task]) -> None:
        """Until a rewrite or one of *also* is done; record the rewrites done."""
        self.pool.wait([*also, *self.rewrites])
        for task in [task for task in self.rewrites if task.done()]:
            self.linker.task_done(self.rewrites.pop(task), task.result())
