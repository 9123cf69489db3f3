"""`compile_release`: the build, as named steps.

scan the sources -> reuse what is unchanged (with the build cache, see incremental.py)
-> transform, and as soon as everything a stylesheet or script references is written,
rewrite, fingerprint and write it (scheduled on the workers, see schedule.py) -> commit
the manifest -> record the build in the cache.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from assetbuild import __version__, bundle, folder_lock, incremental, paths, plain, schedule, sources
from assetbuild.compress import BROTLI_DEFAULT_QUALITY, brotli_available
from assetbuild.config import Config
from assetbuild.diagnostics import BuildError, Diagnostic, UsageError, counted, error
from assetbuild.importmap import IMPORTMAP_NAME
from assetbuild.linker import Linker
from assetbuild.manifest import PlainCopy
from assetbuild.output import commit_manifest, write_atomic
from assetbuild.render import importmap_text, render_entry, write_manifest
from assetbuild.spool import TextSpool
from assetbuild.transform import Options, Outcome, Written, gets_sourcemap
from assetbuild.workers import Pool


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
    warnings: list[Diagnostic] = []
    timings: dict[str, float] = {}

    def warn(diag: Diagnostic) -> None:
        warnings.append(diag)
        on_warning(diag)

    for diag in config.warnings:
        warn(diag)
    opts = _options(config)
    out_dir = opts.out_dir
    # The lock on the output folder (`writing`) is held until the build is recorded.
    with _without_cycle_collector(), ExitStack() as writing:
        # Workers are forked first, while this process is small: each starts with a copy of
        # what this process holds, and the list of sources is large on a large tree.
        # Without a build cache, every file is transformed: the workers compile the
        # minifiers' patterns while this process scans. With one, most builds only hash the
        # sources, and that head start would take CPU from the hashing (no-change rebuild: +4%).
        with schedule.pool(config.jobs, warm=config.cache_dir is None) as pool:
            with _phase(timings, "scan"):
                found, bundles = _scan(config, warn)
            scan_warnings = len(warnings)

            plan = incremental.everything(found)
            if config.cache_dir:
                with _phase(timings, "check"):
                    plan = incremental.check(config, opts, found, bundles, pool, warn)
                if plan.unchanged:  # the release in place is this build's
                    return _unchanged(out_dir, len(found), plan.unchanged, warnings, timings)

            _open_output(out_dir, writing)
            plan, held_maps = _hold_maps(plan, bundles, opts)
            tally = _Tally(plan, warn, on_progress)
            linker = _transform_and_rewrite(config, opts, plan, bundles, held_maps, pool, tally,
                                            timings)

        written = linker.written
        with _phase(timings, "commit"):
            copies = plain.plan(written, config.plain_names, warn)
            plain.write(out_dir, written, copies)
            commit = _commit(out_dir, written, copies)

        if config.cache_dir and plan.memo:
            incremental.record(config.cache_dir, plan, commit.digests, tally.bytes_in,
                               warnings[scan_warnings:], tally.file_warnings, linker.targets,
                               linker.missing)
    return Result(out_dir, commit.build_id, len(written), commit.changed,
                  size_out=sum(w.size for w in written.values()), files_in=len(plan.found),
                  files_processed=len(plan.todo), bytes_in=tally.bytes_in,
                  bytes_out=sum(w.bytes_out for w in written.values()), plain=len(copies),
                  warnings=warnings, timings=timings)


def _options(config: Config) -> Options:
    """The per-file build options, after checking the settings they come from."""
    out_dir = config.out
    assert out_dir is not None
    use_brotli = brotli_available() if config.brotli is None else config.brotli
    if use_brotli and not brotli_available():
        raise UsageError("brotli output needs the brotli package: pip install brotli (the brotli "
                         "extra)")
    for root in config.sources:
        if paths.is_inside(root, out_dir):
            raise UsageError(f"{out_dir}: the output folder must not be or contain a source "
                             f"folder ({root}); write the release somewhere else, e.g. build/static")
    return Options(out_dir=out_dir, minify=config.minify, gzip=config.gzip, brotli=use_brotli,
                   brotli_quality=(BROTLI_DEFAULT_QUALITY if config.brotli_quality is None
                                   else config.brotli_quality),
                   hash_length=config.hash_length, url_prefix=config.url_prefix,
                   cache_dir=config.cache_dir, sourcemaps=config.sourcemaps)


def _scan(config: Config, warn: Callable[[Diagnostic], None]
          ) -> tuple[dict[str, sources.Source], list[bundle.Bundle]]:
    """The sources under the source folders, and the bundles planned from them."""
    assert config.out is not None
    exclude = [config.out] + ([config.cache_dir] if config.cache_dir else [])
    # With a build cache, sizes come from the check, which reads every file anyway.
    found = sources.scan(config.sources, config.ignore, exclude, warn,
                         sizes=config.cache_dir is None, prefixes=config.prefixes)
    where = str(config.config_file) if config.config_file else "bundles"
    bundles, problems = bundle.plan(config.bundles, found, where)
    if problems:
        raise BuildError(problems)
    return found, bundles


def _unchanged(out_dir: Path, files_in: int, release: incremental.Unchanged,
               warnings: list[Diagnostic], timings: dict[str, float]) -> Result:
    return Result(out_dir, release.build_id, release.assets, False, size_out=release.size_out,
                  files_in=files_in, bytes_in=release.bytes_in, plain=release.plain,
                  warnings=warnings, timings=timings)


def _open_output(out_dir: Path, writing: ExitStack) -> None:
    """Create the output folder and take its lock, shared with other builds until the
    manifest and the ledger are saved, so that `assetbuild clean` (which takes it alone)
    never removes files written but not listed."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(error(f"cannot create the output folder: {exc.strerror}",
                               file=str(out_dir))) from None
    writing.enter_context(folder_lock.locked(out_dir, exclusive=False))


class _Tally:
    """Takes each transform outcome in order: its warnings, the progress count, and on to
    the linker."""

    def __init__(self, plan: incremental.Plan, warn: Callable[[Diagnostic], None],
                 on_progress: Callable[[int, int, int], None] | None):
        self.warn, self.on_progress = warn, on_progress
        self.files = len(plan.found)
        self.files_done = len(plan.found) - len(plan.todo)
        self.bytes_in = sum(plan.found[name].size for name in plan.done if name in plan.found)
        self.file_warnings: dict[str, Sequence[Diagnostic]] = {}  # kept in the ledger
        self.linker: Linker | None = None

    def take(self, outcome: Outcome) -> None:
        assert self.linker is not None
        for diag in outcome.diagnostics:
            self.warn(diag)
        if outcome.diagnostics:
            self.file_warnings[outcome.logical] = outcome.diagnostics
        self.linker.add(outcome)
        self.files_done += 1
        self.bytes_in += outcome.size_in
        if self.on_progress:
            self.on_progress(self.files_done, self.files, self.bytes_in)


def _hold_maps(plan: incremental.Plan, bundles: list[bundle.Bundle], opts: Options
               ) -> tuple[incremental.Plan, set[str]]:
    """A source named like the map an asset gets (js/a.js.map) waits, not transformed: that
    map takes its name. The plan without them, and their names."""
    if not opts.sourcemaps:
        return plan, set()
    todo = plan.todo
    held = {name + ".map" for name in [*plan.found, *(b.name for b in bundles)]
            if name + ".map" in todo and gets_sourcemap(name, opts)}
    if not held:
        return plan, held
    return plan._replace(todo={n: src for n, src in todo.items() if n not in held}), held


def _transform_and_rewrite(config: Config, opts: Options, plan: incremental.Plan,
                           bundles: list[bundle.Bundle], held_maps: set[str], pool: Pool | None,
                           tally: _Tally, timings: dict[str, float]) -> Linker:
    """Transform the sources left to do on the workers, and rewrite each text as soon as
    what it references is written; the linker holds every asset written."""
    found = plan.found
    batches = schedule.batches(plan.todo, {p for b in bundles for p in b.parts})
    if len(batches) <= 1:
        pool = None  # one batch: no gain in shipping it to another process
    with TextSpool() as spool:
        linker = tally.linker = Linker(found, bundles, config, spool, opts, plan.done, held_maps)
        scheduler = schedule.Scheduler(pool or schedule.InlinePool(), linker)
        with _phase(timings, "transform"):  # rewrites start as soon as they can
            scheduler.transform(batches, opts, tally.take)
        with _phase(timings, "rewrite"):  # the rewrites still waiting or running
            scheduler.drain()
            linker.close(tally.warn)
    return linker


class Commit(NamedTuple):
    """A committed release: its build id, whether it differs from the one before, and the
    sha256 of its manifest and import map (which the build cache records)."""

    build_id: str
    changed: bool
    digests: dict[str, str]  # "manifest", "importmap" -> sha256


def _commit(out_dir: Path, written: dict[str, Written], copies: dict[str, PlainCopy]) -> Commit:
    """Write importmap.json, then manifest.json (the commit point), entry by entry; an
    asset with a copy under its plain name gets a "plain" field."""
    modules = {n: w.entry() for n, w in written.items() if w.is_module}
    map_path, map_data = out_dir / IMPORTMAP_NAME, importmap_text(modules).encode("utf-8")
    if not map_path.is_file() or map_path.read_bytes() != map_data:
        write_atomic(map_path, map_data)
    map_digest = hashlib.sha256(map_data).hexdigest()
    del modules, map_data
    names = sorted(written)

    def render(write: Callable[[str], object]) -> str:
        return write_manifest(((n, written[n].rendered() if n not in copies else render_entry(
            {**written[n].entry().to_json(), "plain": copies[n].to_json()})) for n in names),
                              f"assetbuild {__version__}", write)
    build_id, changed, manifest_digest = commit_manifest(out_dir, render)
    return Commit(build_id, changed, {"manifest": manifest_digest, "importmap": map_digest})


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
