"""The release tools on real `assetbuild compile` output: compile --archive determinism,
verify on a damaged release, clean across successive builds."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile

import pytest
from support.cli import FIXTURES, read_manifest, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = FIXTURES / "example"


def copy_example(dest, mtime, mode):
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("build"))  # not a local README run
    for path in dest.rglob("*"):
        if path.is_file():
            path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return dest


def compile_in(project, *flags, env=None):
    return run_cli("compile", *flags, cwd=project, env=env, check=True)


def test_compile_archive_is_the_same_in_two_folders(tmp_path):
    one = copy_example(tmp_path / "one", 1_000_000_000, 0o644)
    two = copy_example(tmp_path / "somewhere" / "else" / "two", 1_750_000_000, 0o600)
    compile_in(one, "--archive", tmp_path / "one.tar.gz")
    proc = compile_in(two, "--archive", tmp_path / "two.tar.gz", "--jobs", "1")
    a, b = (hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("one.tar.gz", "two.tar.gz"))
    assert a == b
    assert f"two.tar.gz: sha256 {b}" in proc.stdout

    # The archive holds exactly the manifest and what it names, and verifies.
    out = two / "build" / "static"
    manifest = read_manifest(out)
    named = {p for e in manifest["assets"].values() for p in [e["path"], *e["encodings"].values()]}
    with tarfile.open(tmp_path / "two.tar.gz") as tar:
        assert set(tar.getnames()) == named | {"manifest.json", "importmap.json"}
    assert run_cli("verify", tmp_path / "two.tar.gz", "--extra").returncode == 0

    # SOURCE_DATE_EPOCH changes member times, and so the hash; equally in both folders.
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    compile_in(one, "--archive", tmp_path / "one-sde.tar.gz", env=env)
    compile_in(two, "--archive", tmp_path / "two-sde.tar.gz", env=env)
    c, d = ((tmp_path / n).read_bytes() for n in ("one-sde.tar.gz", "two-sde.tar.gz"))
    assert c == d and hashlib.sha256(c).hexdigest() != a


def test_compile_archive_quiet_and_json_to_stdout(tmp_path):
    project = copy_example(tmp_path / "p", 1, 0o644)
    proc = compile_in(project, "--archive", tmp_path / "r.tar.gz", "--json", "-")
    assert proc.stdout.lstrip().startswith("{") and "sha256" not in proc.stdout
    assert (tmp_path / "r.tar.gz").is_file()


def test_verify_compiled_release_with_removed_altered_and_stray_files(tmp_path):
    project = copy_example(tmp_path / "p", 1, 0o644)
    compile_in(project)
    out = project / "build" / "static"
    assert run_cli("verify", out, "--extra").returncode == 0
    assets = read_manifest(out)["assets"]
    removed = assets["js/app.js"]["path"]
    altered = assets["img/logo.svg"]["path"]
    (out / removed).unlink()
    data = (out / altered).read_bytes()
    (out / altered).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    (out / "img" / "stray.png").write_bytes(b"stray")
    proc = run_cli("verify", out, "--extra")
    assert proc.returncode == 1
    assert f"missing: {removed}" in proc.stdout
    assert f"corrupt: {altered}: content does not match its sha384 integrity" in proc.stdout
    assert "extra: img/stray.png" in proc.stdout
    assert "1 missing, 1 corrupt, 1 extra" in proc.stdout


def test_verify_checks_the_import_map(tmp_path):
    project = copy_example(tmp_path / "p", 1, 0o644)
    compile_in(project)
    out = project / "build" / "static"
    importmap = out / "importmap.json"
    text = importmap.read_text()
    assert "./js/modules/" in text
    importmap.write_text(text.replace("./js/modules/greet.", "./js/modules/gone."))
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "corrupt: importmap.json: ./js/modules/gone." in proc.stdout
    importmap.write_text('{"imports": {"x": "../../etc/passwd"}, "integrity": {}}')
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    assert "corrupt: importmap.json: import 'x' must map to './'" in proc.stdout


def test_clean_after_three_builds(tmp_path):
    project = copy_example(tmp_path / "p", 1, 0o644)
    out = project / "build" / "static"
    app = project / "static" / "js" / "app.js"
    original = app.read_text()
    builds = []
    for n in range(3):
        app.write_text(original + f"\nconsole.log('build {n}');\n")
        compile_in(project)
        builds.append(read_manifest(out))
    paths = [{p for e in m["assets"].values() for p in [e["path"], *e["encodings"].values()]}
             for m in builds]
    only_first = paths[0] - paths[1] - paths[2]
    assert only_first and all((out / p).exists() for p in only_first)

    proc = run_cli("clean", out, "--keep", "2", check=True)
    assert f"kept 2 builds ({builds[2]['build_id']}, {builds[1]['build_id']}, current first)" in proc.stdout
    assert not any((out / p).exists() for p in only_first)
    assert all((out / p).exists() for p in paths[1] | paths[2])
    assert not (out / "manifests" / f"{builds[0]['build_id']}.json").exists()
    assert run_cli("verify", out).returncode == 0

    run_cli("clean", out, "--keep", "1", check=True)
    assert run_cli("verify", out, "--extra").returncode == 0
