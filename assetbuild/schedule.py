"""Scheduling the build's work on the worker pool: how sources are cut into batches, how
many batches and rewrites are in flight, and in what order results are taken.

Every flow-control knob of the build is here; `workers.Pool` only carries calls to the
worker processes and their results back.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple, TypeVar

from assetbuild import fingerprint
from assetbuild.linker import Linker
from assetbuild.sources import Source
from assetbuild.transform import Options, Outcome, Written, process_batch, warm_up
from assetbuild.workers import Done, Pool, Task

BATCH_BYTES = 4 << 20  # a batch is cut at about this many bytes of sources...
BATCH_FILES = 64  # ...or this many files
# Tasks sent to a worker ahead of its results: more lets the workers go on while this
# process is busy with other things (it never waits for this process), fewer lets urgent
# tasks (rewrites) overtake them.
DEPTH = 2
MAX_IN_FLIGHT = 32  # rewrites handed to workers and not yet written (bounds the bytes held)
HASH_CHUNK = 1000  # sources hashed per worker task when checking the build cache
T = TypeVar("T")


class BatchItem(NamedTuple):
    """One source in a transform batch."""

    logical: str
    path: str
    keep: bool  # a part of a bundle: its text comes back even when it references nothing


Batch = list[BatchItem]


def batches(todo: dict[str, Source], parts: set[str]) -> list[Batch]:
    """The sources to transform, in batches of about BATCH_BYTES, large files first, so
    the pool is not left waiting on one big file at the end."""
    out: list[Batch] = []
    batch: Batch = []
    size = 0
    for src in sorted(todo.values(), key=lambda s: -s.size):
        batch.append(BatchItem(src.logical, src.path, src.logical in parts))
        size += src.size
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            out.append(batch)
            batch, size = [], 0
    if batch:
        out.append(batch)
    return out


@contextmanager
def pool(jobs: int, warm: bool) -> Iterator[Pool | None]:
    """Worker processes for the build (None: work in this process), started at once;
    with *warm*, each prepares for transforming files while this process scans."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1:
        yield None
        return
    with Pool(workers, warm_up if warm else None) as started:
        yield started


class InlinePool:
    """Runs each task at once, in this process (one job, or one batch of files)."""

    size = 0  # worker processes

    def submit(self, fn: Callable[..., T], *args: object, urgent: bool = False,
               ahead: int = DEPTH) -> Task[T]:
        return Done(fn, *args)

    def wait(self, tasks: Iterable[Task]) -> None:
        """Every task is done already."""


def hash_sources(found: dict[str, Source], pool: Pool | None) -> Iterator[tuple[bytes, int]]:
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


class Scheduler:
    """Keeps the workers busy. Rewrites that became possible go first, then transform
    batches; a bounded number of each is in flight (which bounds memory), and batch
    outcomes are taken in order, so warnings come in the same order on every run."""

    def __init__(self, pool: Pool | InlinePool, linker: Linker):
        self.pool, self.linker = pool, linker
        # Outcomes are taken in order, so a slow batch at the head holds back the ones done
        # behind it. Two per worker and one more left the workers idle now and then; four
        # spare batches fewer of those waits (2 workers: 2.0-2.1 idle core-seconds against
        # 2.15-2.4 at scale 4). Each holds up to BATCH_BYTES of text. In this process, one.
        self.batches_in_flight = 2 * pool.size + 5 if pool.size else 1
        self.rewrites: dict[Task[Written | list[Written]], str] = {}

    def transform(self, batches: list[Batch], opts: Options,
                  take: Callable[[Outcome], None]) -> None:
        """Transform every batch, passing each outcome to *take* in order, and start the
        rewrites that become possible meanwhile."""
        queued: deque[Task[list[Outcome]]] = deque()
        todo = iter(batches)
        while True:
            self._start_rewrites()
            while len(queued) < self.batches_in_flight and (batch := next(todo, None)):
                queued.append(self.pool.submit(process_batch, batch, opts, ahead=DEPTH))
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
        while len(self.rewrites) < MAX_IN_FLIGHT and (rewrite := self.linker.next_task()):
            task = self.pool.submit(rewrite.function, *rewrite.args, urgent=True, ahead=DEPTH)
            self.rewrites[task] = rewrite.asset

    def _wait(self, also: list[Task]) -> None:
        """Until a rewrite or one of *also* is done; record the rewrites done."""
        self.pool.wait([*also, *self.rewrites])
        for task in [task for task in self.rewrites if task.done()]:
            self.linker.task_done(self.rewrites.pop(task), task.result())
