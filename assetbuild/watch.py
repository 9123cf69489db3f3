"""Development watcher: rebuild the release whenever a source file is saved.

Each rebuild is a normal `compile_release` with a build cache, so only changed files are
transformed again and the files that reference them are rewritten. The compiler writes
manifest.json atomically and last; a failed build raises `BuildError` and leaves the last
good manifest in place, and the watcher keeps going.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from assetbuild import config as config_mod
from assetbuild.config import Config
from assetbuild.diagnostics import BuildError, Diagnostic, UsageError
from assetbuild.paths import is_within

# watchfiles yields a batch once no new event came for STEP_MS, or after DEBOUNCE_MS at most.
STEP_MS = 50
DEBOUNCE_MS = 400
READY_MS = 200  # how often the watcher wakes up when nothing changes
# A rebuild after a few saves is mostly cache hits, which run faster in this process than
# in a freshly started worker pool; larger batches use the configured workers.
IN_PROCESS_BELOW = 20


class SourceFilter:
    """Which file events deserve a rebuild: not dotfiles or editor droppings, and nothing
    under the output or cache folders."""

    def __init__(self, skip_dirs: Iterable[Path]):
        self.skip = tuple(os.path.realpath(p) for p in skip_dirs)

    def __call__(self, change: Any, path: str) -> bool:
        name = os.path.basename(path)
        if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")):
            return False
        real = os.path.realpath(path)
        return not any(is_within(real, d) for d in self.skip)


class Watcher:
    """Loads the settings, builds once, then rebuilds on every batch of changes."""

    def __init__(self, flags: Mapping[str, Any], config_file: Path | None,
                 report: Callable[[str], None], on_warning: Callable[[Diagnostic], None]):
        self.flags = dict(flags)
        self.config_file = config_file
        self.report = report
        self.on_warning = on_warning
        self.session_cache: Path | None = None

    def load(self) -> Config:
        """The settings, with a build cache for this session when none is configured."""
        cfg = config_mod.load(self.flags, config_file=self.config_file)
        if cfg.cache_dir is None:
            if self.session_cache is None:
                self.session_cache = Path(tempfile.mkdtemp(prefix="assetbuild-watch-"))
            cfg.cache_dir = self.session_cache
        return cfg

    def build(self, cfg: Config, changed: Iterable[str] = ()) -> bool:
        """One compile; reports the outcome and returns whether it succeeded."""
        from assetbuild.compiler import compile_release

        changed = sorted(changed)
        if changed and len(changed) < IN_PROCESS_BELOW:
            cfg = dataclasses.replace(cfg, jobs=1)
        try:
            result = compile_release(cfg, on_warning=self.on_warning)
        except (BuildError, UsageError) as exc:
            lines = ([d.format() for d in exc.diagnostics] if isinstance(exc, BuildError)
                     else [f"assetbuild: error: {exc}"])
            kept = (cfg.out / "manifest.json").is_file() if cfg.out else False
            lines.append("build failed; manifest.json still holds the last good build" if kept
                         else "build failed; no manifest.json yet")
            self.report("\n".join(lines))
            return False
        cause = f"{_names(changed, cfg)} changed: " if changed else ""
        self.report(f"[{time.strftime('%H:%M:%S')}] {cause}{result.describe()}")
        return True

    def watched_paths(self, cfg: Config) -> list[Path]:
        paths = [p for p in cfg.sources if p.is_dir()]
        if cfg.config_file is not None:
            paths.append(cfg.config_file)
        return paths

    def run(self, stop_event: Any = None) -> None:
        """Build, then rebuild on changes until *stop_event* is set; Ctrl-C raises
        KeyboardInterrupt."""
        import watchfiles

        cfg = self.load()
        try:
            while True:
                paths = self.watched_paths(cfg)
                if not any(p.is_dir() for p in paths):
                    raise UsageError("none of the source folders exists; nothing to watch")
                skip = [p for p in (cfg.out, cfg.cache_dir) if p is not None]
                ready = False
                # The first (empty) batch comes once the watcher is listening: build then,
                # so that nothing saved during the build is missed.
                for changes in watchfiles.watch(*paths, watch_filter=SourceFilter(skip),
                                                debounce=DEBOUNCE_MS, step=STEP_MS,
                                                rust_timeout=READY_MS, yield_on_timeout=True,
                                                stop_event=stop_event):
                    changed = {path for _, path in changes}
                    if cfg.config_file is not None and str(cfg.config_file) in changed:
                        cfg = self._reload(cfg)
                        break  # watch the (maybe new) source folders
                    if not ready:
                        self.build(cfg)
                        self.report(f"watching {', '.join(map(str, paths))} (Ctrl-C to stop)")
                        ready = True
                    elif changed:
                        self.build(cfg, changed)
                else:
                    return
        finally:
            if self.session_cache is not None:
                shutil.rmtree(self.session_cache, ignore_errors=True)

    def _reload(self, current: Config) -> Config:
        try:
            cfg = self.load()
        except UsageError as exc:
            self.report(f"assetbuild: error: {exc}\nsettings unchanged until the file is fixed")
            return current
        self.report(f"settings reloaded from {cfg.config_file}")
        return cfg


def _names(changed: list[str], cfg: Config) -> str:
    shown = []
    for path in changed[:3]:
        for root in cfg.sources:
            try:
                path = Path(path).relative_to(root).as_posix()
                break
            except ValueError:
                continue
        shown.append(str(path))
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return ", ".join(shown) + more
