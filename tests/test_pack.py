"""`assetbuild pack`: reproducible archives of a release folder."""

from __future__ import annotations

import hashlib
import os
import tarfile

import pytest
from support.cli import run_cli
from support.release import make_release

pytestmark = pytest.mark.e2e

FILES = {
    "css/site.css": b"body{color:red}",
    "js/app.js": b"console.log('app')",
    "fonts/\u00e9t\u00e9.woff2": b"\x00\x01font",  # non-ASCII name: a PAX header
    "deep/" + "d" * 90 + "/" + "n" * 60 + ".js": b"long()",  # longer than ustar's 100
}


def build(folder, mtime, mode):
    out = folder / "out"
    make_release(out, FILES, gzip_names=("css/site.css",), modules=("js/app.js",))
    for path in out.rglob("*"):
        os.utime(path, (mtime, mtime), follow_symlinks=False)
        if path.is_file():
            path.chmod(mode)
    return out


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_release_gives_same_archive_anywhere(tmp_path):
    a = build(tmp_path / "one", 1_000_000_000, 0o600)
    b = build(tmp_path / "elsewhere" / "two", 1_700_000_000, 0o664)
    (b / "stale.1234.css").write_text("old build")  # not in the manifest: stays out
    run_cli("pack", a, "-o", tmp_path / "a.tar.gz", check=True)
    proc = run_cli("pack", b, "-o", tmp_path / "b.tar.gz", check=True)
    digest = sha256(tmp_path / "a.tar.gz")
    assert digest == sha256(tmp_path / "b.tar.gz")
    assert proc.stdout.strip().endswith(f"sha256 {sha256(tmp_path / 'b.tar.gz')}")

    env = {"SOURCE_DATE_EPOCH": "1600000000"}
    run_cli("pack", a, "-o", tmp_path / "c.tar.gz", env=env, check=True)
    run_cli("pack", b, "-o", tmp_path / "d.tar.gz", env=env, check=True)
    assert sha256(tmp_path / "c.tar.gz") == sha256(tmp_path / "d.tar.gz") != digest
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1600000000}


def test_archive_layout_and_headers(tmp_path):
    out = build(tmp_path, 1_234_567_890, 0o640)
    archive = tmp_path / "release.tar.gz"
    run_cli("pack", out, "-o", archive, check=True)
    raw = archive.read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] == 0  # flags: no FNAME, no comment, no extra
    assert raw[4:8] == b"\x00\x00\x00\x00"  # no timestamp
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    expected = {"manifest.json", "importmap.json",
                *(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                  and p.parent.name != "manifests" and p.name not in ("manifest.json", "importmap.json"))}
    assert set(names) == expected
    assert any("\u00e9t\u00e9" in n for n in names) and any(len(n) > 100 for n in names)
    for m in members:
        assert m.isfile() and (m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime) == (0o644, 0, 0, "", "", 0)
        assert (out / m.name).read_bytes() == tar_bytes(archive, m.name)


def tar_bytes(archive, name):
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read()


def test_extracted_archive_verifies(tmp_path):
    out = build(tmp_path, 1, 0o644)
    archive = tmp_path / "release.tar.gz"
    run_cli("pack", out, "-o", archive, check=True)
    dest = tmp_path / "deployed"
    dest.mkdir()
    with tarfile.open(archive) as tar:
        # extraction filters came with Python 3.11.4; Debian 12's python3 is 3.11.2
        tar.extractall(dest, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    proc = run_cli("verify", dest, "--extra")
    assert proc.returncode == 0, proc.stdout


def test_incomplete_release_is_not_packed(tmp_path):
    out = build(tmp_path, 1, 0o644)
    manifest = (out / "manifest.json").read_text()
    victim = next(p for p in out.glob("js/*.js"))
    victim.unlink()
    archive = tmp_path / "release.tar.gz"
    proc = run_cli("pack", out, "-o", archive)
    assert proc.returncode == 1
    assert f"missing: js/{victim.name}" in proc.stderr and "not archived" in proc.stderr
    assert not archive.exists() and not list(tmp_path.glob(".release.tar.gz.*"))
    assert (out / "manifest.json").read_text() == manifest


def test_bad_source_date_epoch_and_missing_manifest(tmp_path):
    out = build(tmp_path, 1, 0o644)
    proc = run_cli("pack", out, "-o", tmp_path / "r.tar.gz", env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert proc.returncode == 2 and "SOURCE_DATE_EPOCH must be a whole number" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_cli("pack", tmp_path / "empty", "-o", tmp_path / "r.tar.gz")
    assert proc.returncode == 1 and "manifest not found" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("pack", tmp_path / "nowhere", "-o", tmp_path / "r.tar.gz")
    assert proc.returncode == 1 and "nowhere: error: not a release folder" in proc.stderr
    assert not (tmp_path / "r.tar.gz").exists()
