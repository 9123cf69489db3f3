"""`assetbuild verify` on folders and archives: whole, missing, corrupt, stray, unsafe."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import tarfile

import pytest
from support.cli import run_cli
from support.release import make_release

pytestmark = pytest.mark.e2e

FILES = {
    "css/site.css": b"body{color:red}",
    "js/app.js": b"console.log('app')",
    "img/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
}


def release(tmp_path, **kw):
    out = tmp_path / "out"
    return out, make_release(out, FILES, gzip_names=("css/site.css", "js/app.js"), **kw)


def test_whole_release_passes(tmp_path):
    out, _ = release(tmp_path, modules=("js/app.js",))
    proc = run_cli("verify", out, "--extra")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 files checked; release is whole" in proc.stdout  # 5 assets + importmap.json


def test_removed_altered_and_stray_files_are_reported(tmp_path):
    out, manifest = release(tmp_path)
    assets = manifest["assets"]
    (out / assets["js/app.js"]["path"]).unlink()
    css = out / assets["css/site.css"]["path"]
    css.write_bytes(css.read_bytes().replace(b"red", b"tan"))  # same size, other bytes
    (out / "css" / "stray.css").write_text("stray")

    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert f"missing: {assets['js/app.js']['path']}" in proc.stdout
    assert f"corrupt: {assets['css/site.css']['path']}: content does not match its sha384" in proc.stdout
    assert "css/stray.css" not in proc.stdout  # only looked for with --extra
    assert "1 missing, 1 corrupt" in proc.stdout

    proc = run_cli("verify", out, "--extra")
    assert proc.returncode == 1
    assert "extra: css/stray.css: not in the manifest" in proc.stdout
    assert "1 missing, 1 corrupt, 1 extra" in proc.stdout


def test_stray_file_alone_fails_only_with_extra(tmp_path):
    out, _ = release(tmp_path)
    (out / "leftover.js").write_text("x")
    assert run_cli("verify", out).returncode == 0
    proc = run_cli("verify", out, "--extra")
    assert proc.returncode == 1 and "extra: leftover.js" in proc.stdout


def test_size_mismatch_and_bad_gzip_variant(tmp_path):
    out, manifest = release(tmp_path)
    entry = manifest["assets"]["css/site.css"]
    (out / entry["path"]).write_bytes(b"body{color:red}/* more */")
    (out / manifest["assets"]["js/app.js"]["encodings"]["gzip"]).write_bytes(b"not gzip at all")
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "content has 25 bytes, the manifest says 15" in proc.stdout
    assert "js/app." in proc.stdout and "cannot be decoded as gzip" in proc.stdout


def test_gzip_variant_of_other_content_is_corrupt(tmp_path):
    out, manifest = release(tmp_path)
    gz = out / manifest["assets"]["css/site.css"]["encodings"]["gzip"]
    gz.write_bytes(gzip.compress(b"body{color:tan}"))
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "decoded gzip content does not match its sha384 integrity" in proc.stdout


def test_manifest_path_escaping_the_release_is_rejected(tmp_path):
    out, manifest = release(tmp_path)
    (tmp_path / "secret.txt").write_text("secret")
    manifest["assets"]["evil"] = {"path": "../secret.txt", "size": 6,
                                  "integrity": "sha384-x", "encodings": {}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "'../secret.txt' is not a relative path inside the release" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_symlink_leading_outside_is_unsafe(tmp_path):
    out, manifest = release(tmp_path)
    path = out / manifest["assets"]["css/site.css"]["path"]
    outside = tmp_path / "outside.css"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "unsafe: css/site." in proc.stdout and "leads outside the release" in proc.stdout


def test_missing_or_broken_manifest(tmp_path):
    proc = run_cli("verify", tmp_path)
    assert proc.returncode == 1 and "manifest not found" in proc.stderr
    (tmp_path / "manifest.json").write_text("{not json")
    proc = run_cli("verify", tmp_path)
    assert proc.returncode == 1 and "not valid JSON" in proc.stderr
    proc = run_cli("verify", tmp_path / "nope")
    assert proc.returncode == 1 and "no such release folder or archive" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_archive_whole_and_tampered(tmp_path):
    out, manifest = release(tmp_path)
    archive = tmp_path / "release.tar.gz"
    run_cli("pack", out, "-o", archive, check=True)
    proc = run_cli("verify", archive, "--extra")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # Rewrite the archive: drop one file, alter one, add a stray and an escaping member.
    dropped = manifest["assets"]["js/app.js"]["path"]
    altered = manifest["assets"]["img/logo.svg"]["path"]
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == dropped:
                continue
            if member.name == altered:
                data = data.replace(b"svg", b"SVG")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
        for name in ("stray.txt", "../escape.txt"):
            info = tarfile.TarInfo(name)
            info.size = 1
            dst.addfile(info, io.BytesIO(b"x"))
    proc = run_cli("verify", tampered, "--extra")
    assert proc.returncode == 1
    assert f"missing: {dropped}" in proc.stdout
    assert f"corrupt: {altered}" in proc.stdout
    assert "extra: stray.txt" in proc.stdout
    assert "unsafe: ../escape.txt: archive member outside the release folder" in proc.stdout


def test_archive_without_manifest(tmp_path):
    archive = tmp_path / "r.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("css/a.css")
        tar.addfile(info, io.BytesIO(b""))
    proc = run_cli("verify", archive)
    assert proc.returncode == 1 and "no manifest.json at the top of the archive" in proc.stderr


def test_not_an_archive(tmp_path):
    bogus = tmp_path / "release.tar.gz"
    bogus.write_bytes(b"\x1f\x8b garbage")
    proc = run_cli("verify", bogus)
    assert proc.returncode == 1 and "not a readable release archive" in proc.stderr


def test_verify_runs_without_blake3(tmp_path):
    """Verify checks sha384 with hashlib: it must work where blake3 is not installed."""
    import subprocess
    out, _ = release(tmp_path)
    code = ("import sys; sys.modules['blake3'] = None; sys.modules['rjsmin'] = None; "
            "sys.modules['rcssmin'] = None; from assetbuild.cli import main; "
            f"sys.exit(main(['verify', {str(out)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ})
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("command", [
    ("verify", "{out}"), ("pack", "{out}", "-o", "{tmp}/r.tar.gz"), ("clean", "{out}", "--keep", "1"),
    ("publish", "{out}", "--to", "s3://bucket/p", "--endpoint-url", "http://127.0.0.1:9"),
])
def test_every_release_command_refuses_an_escaping_manifest_path(tmp_path, command):
    out, manifest = release(tmp_path)
    (tmp_path / "outside.css").write_text("body{}")
    manifest["assets"]["evil.css"] = {"path": "css/../../outside.css", "size": 6,
                                      "integrity": "sha384-x", "encodings": {}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = sorted(p for p in tmp_path.rglob("*"))
    args = [a.format(out=out, tmp=tmp_path) for a in command]
    proc = run_cli(*args, env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
    assert proc.returncode == 1
    assert "is not a relative path inside the release" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written or removed


def test_release_with_modules_but_no_import_map_fails(tmp_path):
    src = tmp_path / "static"
    (src / "js").mkdir(parents=True)
    (src / "js" / "util.mjs").write_text("export const x = 1;\n")
    (src / "js" / "main.mjs").write_text("import {x} from './util.mjs';\nconsole.log(x);\n")
    out = tmp_path / "out"
    assert run_cli("compile", src, "--out", out).returncode == 0
    assert run_cli("verify", out).returncode == 0
    (out / "importmap.json").unlink()

    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert ("missing: importmap.json: the manifest lists 2 ES module(s), so pages using the "
            "import map need it; rebuild the release") in proc.stdout.splitlines()


def test_release_without_modules_needs_no_import_map(tmp_path):
    out, _ = release(tmp_path)  # no modules, so no importmap.json
    assert not (out / "importmap.json").exists()
    proc = run_cli("verify", out, "--extra")
    assert proc.returncode == 0, proc.stdout + proc.stderr
