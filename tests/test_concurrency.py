"""Builds running at the same time. There is no lock: safety comes from the layout.

Every file except manifest.json is content-addressed (its name holds the hash of its
bytes) and written through a temporary file and a rename, so two builds writing the same
name write the same bytes and never expose a partial file; each build writes manifest.json
last, by rename, after all of its own files exist. So two builds into one output end with
the manifest of whichever committed last, complete, and every other release of the folder
stays whole too. Cache entries are also written by rename and checked against their key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.release_check import check_release
from support.tree_gen import broken_links, make_tree

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # builds racing on generated trees

FILES = 600


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}


def start(src: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assetbuild", "compile", str(src), "--out", str(out),
                             "-j", "2", "--no-brotli", "-q", *extra], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(*procs: subprocess.Popen) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert not err, err


def reference(src: Path, out: Path, *extra: str) -> bytes:
    finish(start(src, out, *extra))
    return (out / "manifest.json").read_bytes()


class ManifestWatcher(threading.Thread):
    """Reads out/manifest.json in a loop while builds run: every read must be a whole
    manifest; each distinct one is checked against the files at the end."""

    def __init__(self, out: Path):
        super().__init__(daemon=True)
        self.out, self.seen, self.reads, self.errors = out, set(), 0, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                data = (self.out / "manifest.json").read_bytes()
            except FileNotFoundError:
                continue
            self.reads += 1
            try:
                json.loads(data)
            except ValueError as exc:
                self.errors.append(f"partial manifest read: {exc}")
            self.seen.add(data)
            time.sleep(0.001)  # leave the two cores to the builds

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join()

    def __enter__(self) -> ManifestWatcher:
        self.start()
        return self


def assert_whole(out: Path, manifest_bytes: bytes) -> None:
    """The release *manifest_bytes* describes is complete in *out*."""
    history = out / "manifests" / f"{json.loads(manifest_bytes)['build_id']}.json"
    assert history.read_bytes() == manifest_bytes
    assert not broken_links(out, check_release(out, manifest_bytes))


def test_two_builds_of_the_same_sources_into_one_output(tmp_path: Path):
    src = tmp_path / "static"
    make_tree(src, FILES, 0)
    expected = reference(src, tmp_path / "ref")
    out = tmp_path / "out"
    for _ in range(2):
        with ManifestWatcher(out) as watcher:
            finish(start(src, out), start(src, out), start(src, out))
        assert not watcher.errors
        assert (out / "manifest.json").read_bytes() == expected
        check_release(out)
        assert not list(out.rglob("*.tmp"))


def test_two_builds_of_different_sources_into_one_output(tmp_path: Path):
    out = tmp_path / "out"
    last = None
    for round_ in range(2):
        a, b = tmp_path / f"a{round_}", tmp_path / f"b{round_}"
        make_tree(a, FILES, 2 * round_ + 1)
        make_tree(b, FILES, 2 * round_ + 2)
        expected = {reference(a, tmp_path / f"ref-a{round_}"), reference(b, tmp_path / f"ref-b{round_}")}
        with ManifestWatcher(out) as watcher:
            finish(start(a, out), start(b, out))
        assert not watcher.errors
        final = (out / "manifest.json").read_bytes()
        assert final in expected  # last commit wins
        check_release(out)
        for manifest_bytes in expected:  # the other build's release is whole beside it
            assert_whole(out, manifest_bytes)
        assert watcher.seen <= expected | ({last} if last else set())
        last = final


@pytest.mark.parametrize("options", [((), ()), (("--no-gzip",), ("--no-minify", "--hash-length", "20"))])
def test_builds_into_different_outputs_sharing_sources_and_cache(tmp_path: Path, options):
    src, cache = tmp_path / "static", tmp_path / "cache"
    make_tree(src, FILES, 0)
    expected = [reference(src, tmp_path / f"ref{i}", *opts) for i, opts in enumerate(options)]
    for round_ in range(2):  # a cold cache, then a warm one
        outs = [tmp_path / f"out{round_}-{i}" for i in range(2)]
        finish(*(start(src, o, "--cache", str(cache), *opts) for o, opts in zip(outs, options)))
        for o, want in zip(outs, expected):
            assert (o / "manifest.json").read_bytes() == want
            check_release(o)
            assert not broken_links(o, json.loads(want))
