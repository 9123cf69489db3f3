"""`assetbuild clean --keep N`: old builds go, what kept manifests need stays."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support.cli import run_cli
from support.release import make_release
from support.release_check import check_release

from assetbuild import folder_lock

pytestmark = pytest.mark.e2e


def builds(out, count):
    """*count* successive releases into one folder, each with its history copy; each later
    one made newer on disk. 'shared.css' never changes, so every build needs it."""
    manifests = []
    for n in range(count):
        manifest = make_release(out, {"shared.css": b"shared{}", "app.js": f"v{n}()".encode()},
                                gzip_names=("app.js",))
        stamp = 1_700_000_000 + n * 100
        os.utime(out / "manifests" / f"{manifest['build_id']}.json", (stamp, stamp))
        manifests.append(manifest)
    return manifests


def needed(manifest):
    paths = set()
    for entry in manifest["assets"].values():
        paths.add(entry["path"])
        paths.update(entry["encodings"].values())
    return paths


def files(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() or p.is_symlink()}


def test_keep_two_removes_only_the_oldest_build(tmp_path):
    out = tmp_path / "out"
    m = builds(out, 3)
    (out / "leftover.old.css").write_text("from before history existed")
    before = files(out)
    proc = run_cli("clean", out, "--keep", "2")
    assert proc.returncode == 0, proc.stderr
    gone = needed(m[0]) - needed(m[1]) - needed(m[2])
    assert gone and gone | {f"manifests/{m[0]['build_id']}.json", "leftover.old.css"} == before - files(out)
    assert needed(m[1]) | needed(m[2]) <= files(out)
    assert f"kept 2 builds ({m[2]['build_id']}, {m[1]['build_id']}, current first)" in proc.stdout
    assert "removed 4 files" in proc.stdout
    assert run_cli("verify", out).returncode == 0


def test_keep_one_leaves_exactly_the_current_release(tmp_path):
    out = tmp_path / "out"
    m = builds(out, 3)
    proc = run_cli("clean", out, "--keep", "1", check=True)
    current = m[-1]
    assert files(out) == needed(current) | {"manifest.json", f"manifests/{current['build_id']}.json"}
    assert proc.stdout.endswith(f"{out}: kept 1 build ({current['build_id']}, current first); "
                                "removed 6 files\n")
    assert run_cli("verify", out, "--extra").returncode == 0


def test_current_manifest_is_kept_even_when_its_copy_is_oldest(tmp_path):
    """A rollback: manifest.json points at an older build whose history copy is old on disk."""
    out = tmp_path / "out"
    m = builds(out, 3)
    (out / "manifest.json").write_text((out / "manifests" / f"{m[0]['build_id']}.json").read_text())
    run_cli("clean", out, "--keep", "2", check=True)
    assert needed(m[0]) | needed(m[2]) <= files(out)
    assert not (needed(m[1]) - needed(m[0]) - needed(m[2])) & files(out)
    assert run_cli("verify", out).returncode == 0


def test_dry_run_removes_nothing(tmp_path):
    out = tmp_path / "out"
    builds(out, 3)
    before = files(out)
    proc = run_cli("clean", out, "--keep", "1", "--dry-run")
    assert proc.returncode == 0
    assert proc.stdout.count("would remove ") == 7  # 2 builds x (js + gz + history) + 1 summary
    assert files(out) == before


def test_broken_kept_manifest_stops_everything(tmp_path):
    out = tmp_path / "out"
    m = builds(out, 3)
    (out / "manifests" / f"{m[1]['build_id']}.json").write_text("{broken")
    before = files(out)
    proc = run_cli("clean", out, "--keep", "2")
    assert proc.returncode == 1
    assert f"manifests/{m[1]['build_id']}.json: not valid JSON" in proc.stderr
    assert "nothing removed" in proc.stderr
    assert files(out) == before


def test_missing_manifest_removes_nothing(tmp_path):
    (tmp_path / "keep.me").write_text("x")
    proc = run_cli("clean", tmp_path, "--keep", "1")
    assert proc.returncode == 1 and "manifest not found" in proc.stderr
    assert (tmp_path / "keep.me").exists()


def test_symlinked_folder_is_not_followed(tmp_path):
    out = tmp_path / "out"
    builds(out, 2)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("not ours")
    (out / "linked").symlink_to(outside, target_is_directory=True)
    (out / "file-link.txt").symlink_to(outside / "precious.txt")
    run_cli("clean", out, "--keep", "1", check=True)
    assert (outside / "precious.txt").read_text() == "not ours"
    assert (out / "linked").is_symlink()  # a linked folder is left alone
    assert not os.path.lexists(out / "file-link.txt")  # the link itself goes, not its target


def test_keep_must_be_positive(tmp_path):
    proc = run_cli("clean", tmp_path, "--keep", "0")
    assert proc.returncode == 2 and "at least 1" in proc.stderr


def _start(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
    return subprocess.Popen([sys.executable, "-m", "assetbuild", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _still_running_after(proc, seconds):
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


@pytest.mark.slow  # waits on the other process's lock
def test_clean_waits_for_a_build_writing_into_the_folder(tmp_path):
    out = tmp_path / "out"
    builds(out, 3)
    unlisted = out / "app.0123456789abcdef.js"  # written by the build, not listed yet
    unlisted.write_text("v3()")
    with folder_lock.locked(out, exclusive=False):  # what a running compile holds
        clean = _start("clean", out, "--keep", "1")
        assert _still_running_after(clean, 1.5)
        assert unlisted.exists()
    stdout, stderr = clean.communicate(timeout=60)
    assert clean.returncode == 0, stderr
    assert "waiting for the build writing there to finish" in stderr
    assert not unlisted.exists()  # the build is over: now it is an old file like any other


@pytest.mark.slow  # waits on the other process's lock
def test_a_build_waits_for_a_clean_of_its_output_folder(tree, tmp_path):
    tree({"static/app.js": "function app() { return 1; }\n", "static/a.css": "a { b: c }\n"})
    out = tmp_path / "out"
    run_cli("compile", tmp_path / "static", "--out", out, "--no-brotli", check=True)
    (tmp_path / "static" / "app.js").write_text("function app() { return 2; }\n")
    with folder_lock.locked(out, exclusive=True):  # what a running clean holds
        build = _start("compile", tmp_path / "static", "--out", out, "--no-brotli", "-q")
        assert _still_running_after(build, 1.5)
        before = files(out)
    _, stderr = build.communicate(timeout=60)
    assert build.returncode == 0, stderr
    assert len(files(out)) > len(before)  # it wrote only after the lock was free
    check_release(out)
