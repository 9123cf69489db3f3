"""SIGKILL `assetbuild compile` at random moments: the output must always hold either the
previous complete release or the new complete one.

The tree has a few thousand files and changes between builds, so every build writes new
fingerprinted files. A small instrument (tests/phase_hook/sitecustomize.py, loaded through
PYTHONPATH) makes the build announce each phase on a pipe, so kills are aimed at every phase
(start-up, scan, transform, rewrite, commit) at a random moment within it, one in
seven at a random moment of the whole build, and the test knows where each one landed.
Most kills hit the whole process group (like a container being stopped); every third hits
only the main process (like the OOM killer), and its workers must then exit on their own.

ASSETBUILD_KILLS (default 50), ASSETBUILD_KILL_FILES (default 2000) and
ASSETBUILD_KILL_SEED tune a run; the seed is printed so a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from support.release_check import check_release, sri
from support.tree_gen import broken_links, make_tree

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # 30-70 s each: dozens of builds killed at random moments

KILLS = int(os.environ.get("ASSETBUILD_KILLS", "50"))
FILES = int(os.environ.get("ASSETBUILD_KILL_FILES", "2000"))
PHASES = ("start-up", "scan", "transform", "rewrite", "commit")
HOOK = Path(__file__).parent / "phase_hook"


def command(src: Path, out: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "assetbuild", "compile", str(src), "--out", str(out),
            "--cache", str(cache), "-j", "2", "--no-brotli", "-q"]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}


def phase_windows(src: Path, out: Path, cache: Path) -> tuple[float, dict[str, tuple[float, float]]]:
    """Run one complete build; return its wall time and each phase's (start, end) offset."""
    start = time.perf_counter()
    proc = subprocess.run(command(src, out, cache) + ["--json", "-"], env=env(),
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    timings = json.loads(proc.stdout)["timings"]
    t = max(wall - sum(timings.values()), 0.0)  # interpreter start-up and imports
    windows = {"start-up": (0.0, t)}
    for phase in PHASES[1:]:
        windows[phase] = (t, t + timings.get(phase, 0.0))
        t = windows[phase][1]
    return wall, windows


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Kill what a test started and did not kill itself because an assertion failed first."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Build:
    """A compile running in its own process group, announcing its phases on a pipe."""

    def __init__(self, args: list[str]):
        self.read_fd, write_fd = os.pipe()
        child_env = env()
        child_env["RELIABILITY_PHASE_FD"] = str(write_fd)
        child_env["PYTHONPATH"] = os.pathsep.join([str(HOOK), child_env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(args, env=child_env, pass_fds=(write_fd,),
                                     start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _STARTED.append(self.proc)
        os.close(write_fd)
        self.lines: list[str] = []
        self.buffer = b""

    def _read(self, timeout: float) -> bool:
        """Read what the build announced; False once the pipe is closed."""
        ready, _, _ = select.select([self.read_fd], [], [], max(timeout, 0))
        if not ready:
            return True
        chunk = os.read(self.read_fd, 4096)
        self.buffer += chunk
        *done, self.buffer = self.buffer.split(b"\n")
        self.lines += [line.decode() for line in done]
        assert not any(line.startswith("hook-broken") for line in self.lines), self.lines
        return bool(chunk)

    def wait_for(self, phase: str, count: int = 1, timeout: float = 60.0) -> bool:
        """True as soon as *phase* has started *count* times; False when the process
        ended (or *timeout* passed) first."""
        deadline = time.monotonic() + timeout
        while self.lines.count(phase) < count:
            if time.monotonic() > deadline or not self._read(deadline - time.monotonic()):
                return self.lines.count(phase) >= count
        return True

    def kill(self, whole_group: bool) -> str:
        """SIGKILL the build; return the phase it was in."""
        if whole_group:
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self._read(deadline - time.monotonic()):
            pass
        os.close(self.read_fd)
        if not self.lines:
            return "start-up"
        last = self.lines[-1]
        return "after commit" if last == "end commit" else last.removeprefix("end ")


def wait_group_gone(pgid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def assert_complete(out: Path, names: set[str], version: int) -> dict:
    manifest = check_release(out)
    assert set(manifest["assets"]) == names
    assert (out / manifest["assets"]["version.txt"]["path"]).read_text() == str(version)
    assert not broken_links(out, manifest)
    return manifest


def test_sigkill_at_random_moments_leaves_the_old_or_the_new_release(tmp_path: Path):
    seed = int(os.environ.get("ASSETBUILD_KILL_SEED", str(time.time_ns() % 10**9)))
    print(f"ASSETBUILD_KILL_SEED={seed}")
    rng = random.Random(seed)
    src, out, cache = tmp_path / "static", tmp_path / "out", tmp_path / "cache"
    version = 0
    make_tree(src, FILES, version)
    phase_windows(src, out, cache)  # a first build fills the cache, like the builds to come
    version += 1
    names = make_tree(src, FILES, version)
    wall, windows = phase_windows(src, out, cache)
    assert_complete(out, names, version)
    committed_version = version

    outcomes: Counter[str] = Counter()
    landed: Counter[str] = Counter()
    for kill in range(KILLS):
        version += 1
        names = make_tree(src, FILES, version)
        before = (out / "manifest.json").read_bytes()
        build = Build(command(src, out, cache))
        target = (PHASES + ("any",))[kill % (len(PHASES) + 1)]
        if target == "start-up":
            time.sleep(rng.uniform(*windows["start-up"]))
        elif target == "any":
            time.sleep(rng.uniform(0, wall))
        else:
            assert build.wait_for(target), f"the build never announced '{target}': {build.lines}"
            start, end = windows[target]
            time.sleep(rng.uniform(0, end - start))
        phase = build.kill(whole_group=kill % 3 != 2)  # every third: the main process only
        landed[phase] += 1
        assert wait_group_gone(build.proc.pid), "worker processes outlived the killed build"
        if (out / "manifest.json").read_bytes() == before:
            manifest = check_release(out)  # the previous release, still whole
            version_file = out / manifest["assets"]["version.txt"]["path"]
            assert version_file.read_text() == str(committed_version)
            assert phase != "after commit", "the build finished but did not commit"
            outcomes["previous release"] += 1
        else:
            assert phase in ("commit", "after commit"), f"manifest replaced during '{phase}'"
            assert_complete(out, names, version)
            committed_version = version
            outcomes["new release"] += 1
        if kill % 10 == 9:  # a normal build still works after a series of crashes
            version += 1
            names = make_tree(src, FILES, version)
            wall, windows = phase_windows(src, out, cache)
            assert_complete(out, names, version)
            committed_version = version

    print(f"{KILLS} kills; phase at the kill: {dict(landed)}; outcome: {dict(outcomes)}")
    if KILLS >= 7 * len(PHASES):  # enough kills that every phase gets several aimed at it
        assert all(landed[p] for p in PHASES), f"some phase was never interrupted: {dict(landed)}"


def first_build_done(build: Build) -> bool:
    """A watcher's first build is done when it committed, or when the build cache showed
    the release in place is already this one (the check phase ends, no transform follows)."""
    if not build.wait_for("end check"):
        return False
    if build.wait_for("transform", timeout=5):
        return build.wait_for("end commit")
    return True


WATCH_KILLS = int(os.environ.get("ASSETBUILD_WATCH_KILLS", "12"))


def test_sigkill_of_watch_during_a_rebuild_leaves_a_whole_release(tmp_path: Path):
    """`assetbuild watch` rebuilds with the same commit protocol; kill it in each phase of a
    rebuild, restart it, and check the release every time."""
    seed = int(os.environ.get("ASSETBUILD_KILL_SEED", str(time.time_ns() % 10**9)))
    print(f"ASSETBUILD_KILL_SEED={seed}")
    rng = random.Random(seed)
    src, out, cache = tmp_path / "static", tmp_path / "out", tmp_path / "cache"
    files = FILES // 3
    version = 0
    names = make_tree(src, files, version)
    wall, windows = phase_windows(src, out, cache)
    watch = [sys.executable, "-m", "assetbuild", "watch", str(src), "--out", str(out),
             "--cache", str(cache), "-j", "2", "--no-brotli"]
    landed: Counter[str] = Counter()
    for kill in range(WATCH_KILLS):
        build = Build(watch)
        assert first_build_done(build), f"watch never finished its first build: {build.lines}"
        assert_complete(out, names, version)  # the first build finishes what a kill cut short
        previous = version
        before = (out / "manifest.json").read_bytes()
        version += 1
        names = make_tree(src, files, version)
        target = PHASES[1 + kill % (len(PHASES) - 1)]  # a rebuild has no start-up
        assert build.wait_for(target, count=build.lines.count(target) + 1), \
            f"no rebuild reached '{target}': {build.lines}"
        start, end = windows[target]
        # The windows come from a cold build; a rebuild's phases are shorter, so a random
        # pause often outlasts the phase. The first kill at each target comes at once.
        time.sleep(0.0 if kill < len(PHASES) - 1 else rng.uniform(0, end - start))
        phase = build.kill(whole_group=kill % 3 != 2)
        landed[phase] += 1
        assert wait_group_gone(build.proc.pid), "worker processes outlived the killed watch"
        manifest = check_release(out)
        if (out / "manifest.json").read_bytes() != before:
            assert phase in ("commit", "after commit"), f"manifest replaced during '{phase}'"
            assert set(manifest["assets"]) == names and not broken_links(out, manifest)
        written = (out / manifest["assets"]["version.txt"]["path"]).read_text()
        assert written in (str(previous), str(version))
    print(f"{WATCH_KILLS} watch kills; phase at the kill: {dict(landed)}")
    if WATCH_KILLS >= 10:  # a rebuild from the ledger transforms one file: that phase is short
        assert len([p for p in PHASES[1:] if landed[p]]) >= 3, dict(landed)


PUBLISH_KILLS = int(os.environ.get("ASSETBUILD_PUBLISH_KILLS", "8"))


def remote_release(client, bucket: str, prefix: str, sample: random.Random) -> bytes:
    """Check the published release: every object its manifest names exists with the right
    size, and a sample of them (all when few) has the right bytes. Returns the manifest."""
    manifest_bytes = client.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read()
    manifest = json.loads(manifest_bytes)
    sizes = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        sizes.update({o["Key"][len(prefix):]: o["Size"] for o in page.get("Contents", [])})
    entries = list(manifest["assets"].values())
    for entry in entries:
        assert sizes.get(entry["path"]) == entry["size"], entry["path"]
        for rel in entry.get("encodings", {}).values():
            assert rel in sizes, rel
    for entry in sample.sample(entries, min(len(entries), 60)):
        body = client.get_object(Bucket=bucket, Key=prefix + entry["path"])["Body"].read()
        assert sri(body) == entry["integrity"], entry["path"]
    return manifest_bytes


def test_sigkill_of_publish_leaves_the_old_or_the_new_remote_release(tmp_path: Path):
    """`assetbuild publish` uploads objects first and the manifest last: kill it at random
    moments and the bucket always serves a whole release."""
    pytest.importorskip("boto3")
    from support.s3servers import start_moto

    seed = int(os.environ.get("ASSETBUILD_KILL_SEED", str(time.time_ns() % 10**9)))
    print(f"ASSETBUILD_KILL_SEED={seed}")
    rng = random.Random(seed)
    (tmp_path / "moto").mkdir()
    server = start_moto(tmp_path / "moto")
    try:
        client = server.client()
        client.create_bucket(Bucket="site")
        src, out, cache = tmp_path / "static", tmp_path / "out", tmp_path / "cache"
        publish = [sys.executable, "-m", "assetbuild", "publish", str(out), "--to", "s3://site/app/",
                   "--endpoint-url", server.endpoint, "-q"]
        publish_env = {**env(), **server.env()}
        for version in (0, 1):  # a first publish of everything, then a measured update
            make_tree(src, FILES // 3, version)
            phase_windows(src, out, cache)
            start = time.perf_counter()
            subprocess.run(publish, env=publish_env, check=True, capture_output=True)
            duration = time.perf_counter() - start
        published = remote_release(client, "site", "app/", rng)
        outcomes: Counter[str] = Counter()
        for _ in range(PUBLISH_KILLS):
            version += 1
            make_tree(src, FILES // 3, version)
            phase_windows(src, out, cache)
            new = (out / "manifest.json").read_bytes()
            proc = subprocess.Popen(publish, env=publish_env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _STARTED.append(proc)
            try:
                proc.wait(timeout=rng.uniform(0, duration))
                outcomes["finished"] += 1
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            remote = remote_release(client, "site", "app/", rng)
            assert remote in (published, new)
            outcomes["new release" if remote == new else "previous release"] += 1
            published = remote
        print(f"{PUBLISH_KILLS} publish kills: {dict(outcomes)}")
        if PUBLISH_KILLS >= 5:  # some kills must have struck before the manifest went up
            assert outcomes["previous release"] > 0
    finally:
        server.stop()
