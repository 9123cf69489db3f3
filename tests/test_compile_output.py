"""The release folder: fingerprints, manifest contract, precompression, determinism and
atomic commits, all through the real CLI."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

import blake3
import pytest
from support.cli import FIXTURES, read_manifest, run_cli, tree_bytes
from support.release import sri
from support.tree_gen import broken_links, make_tree

EXAMPLE = FIXTURES / "example"


def compile_example(out: Path, *flags: str, cwd: Path | None = None):
    return run_cli("compile", "--config", EXAMPLE / "assetbuild.toml", "--out", out, *flags,
                   cwd=cwd, check=True)


@pytest.mark.e2e
def test_manifest_contract_and_fingerprints(tmp_path):
    out = tmp_path / "out"
    proc = compile_example(out)
    assert re.match(r"compiled 15 files \(.*\) into .*: 17 assets", proc.stdout)
    raw = (out / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(raw)
    assert raw == json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert manifest["version"] == 1
    assert manifest["generator"].startswith("assetbuild ")
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["build_id"])
    assert (out / "manifests" / f"{manifest['build_id']}.json").read_text() == raw
    assert "css/site.css" in manifest["assets"] and "bundles/vendor.js" in manifest["assets"]
    for name, entry in manifest["assets"].items():
        data = (out / entry["path"]).read_bytes()
        stem, ext = os.path.splitext(name)
        digest = blake3.blake3(data).hexdigest()[:16]
        assert entry["path"] == f"{stem}.{digest}{ext}"
        assert entry["size"] == len(data)
        assert entry["integrity"] == sri(data)
        for encoding, path in entry["encodings"].items():
            assert path == entry["path"] + {"gzip": ".gz", "br": ".br"}[encoding]
            blob = (out / path).read_bytes()
            assert len(blob) < len(data)
            if encoding == "gzip":
                assert gzip.decompress(blob) == data


@pytest.mark.e2e
def test_precompression_only_for_compressible_types(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.css").write_text(".a{color:red}\n" * 200)
    (src / "tiny.js").write_text("1")
    (src / "img.png").write_bytes(b"\x89PNG" + b"\0" * 5000)
    (src / "font.woff2").write_bytes(b"wOF2" + b"\0" * 5000)
    out = tmp_path / "out"
    run_cli("compile", src, "--out", out, "--brotli", check=True)
    assets = read_manifest(out)["assets"]
    assert set(assets["big.css"]["encodings"]) == {"gzip", "br"}
    assert assets["tiny.js"]["encodings"] == {}  # compressing would not make it smaller
    assert assets["img.png"]["encodings"] == {} and assets["font.woff2"]["encodings"] == {}
    assert not list(out.rglob("*.png.gz")) and not list(out.rglob("*.woff2.br"))
    run_cli("compile", src, "--out", tmp_path / "plain", "--no-gzip", "--no-brotli", check=True)
    assert read_manifest(tmp_path / "plain")["assets"]["big.css"]["encodings"] == {}


@pytest.mark.e2e
def test_hash_length(tmp_path):
    out = tmp_path / "out"
    compile_example(out, "--hash-length", "8")
    assert re.fullmatch(r"css/site\.[0-9a-f]{8}\.css", read_manifest(out)["assets"]["css/site.css"]["path"])


@pytest.mark.e2e
def test_output_is_deterministic_across_folders_and_mtimes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(EXAMPLE, a)
    shutil.copytree(EXAMPLE, b)
    for path in b.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    def compile_example_at(base: Path, jobs: str) -> None:
        run_cli("compile", "--config", base / "assetbuild.toml", "--out", base / "out", "-j", jobs, check=True)

    compile_example_at(a, "1")
    compile_example_at(b, "2")
    assert tree_bytes(a / "out") == tree_bytes(b / "out")


@pytest.mark.e2e
def test_recompiling_unchanged_sources_changes_nothing(tmp_path):
    out = tmp_path / "out"
    compile_example(out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    proc = compile_example(out)
    assert "(unchanged)" in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


@pytest.mark.e2e
def test_a_failed_build_leaves_the_previous_release(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.css").write_text(".a{background:url(b.png)}")
    (src / "b.png").write_bytes(b"png")
    out = tmp_path / "out"
    run_cli("compile", src, "--out", out, check=True)
    previous = (out / "manifest.json").read_bytes()
    (src / "a.css").write_text('@import "c.css";')
    (src / "c.css").write_text('@import "a.css";')
    proc = run_cli("compile", src, "--out", out)
    assert proc.returncode == 1 and "reference cycle" in proc.stderr
    assert (out / "manifest.json").read_bytes() == previous
    for entry in json.loads(previous)["assets"].values():
        assert (out / entry["path"]).is_file()


@pytest.mark.e2e
def test_old_fingerprinted_files_stay_for_rolling_deploys(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.js").write_text("var a = 1;")
    out = tmp_path / "out"
    run_cli("compile", src, "--out", out, check=True)
    old = read_manifest(out)["assets"]["a.js"]["path"]
    (src / "a.js").write_text("var a = 2;")
    run_cli("compile", src, "--out", out, check=True)
    new = read_manifest(out)["assets"]["a.js"]["path"]
    assert old != new and (out / old).is_file() and (out / new).is_file()
    assert len(list((out / "manifests").glob("*.json"))) == 2


@pytest.mark.e2e
def test_a_half_written_file_left_by_a_killed_build_is_replaced(tmp_path):
    """New fingerprinted files are written in place; a build killed mid-write leaves a short
    file under the final name, which the next build must see and replace."""
    out = tmp_path / "out"
    compile_example(out, "--no-brotli")
    entry = read_manifest(out)["assets"]["js/app.js"]
    whole = (out / entry["path"]).read_bytes()
    whole_gz = (out / entry["encodings"]["gzip"]).read_bytes()
    shutil.rmtree(out)
    out.mkdir()
    (out / entry["path"]).parent.mkdir(parents=True)
    (out / entry["path"]).write_bytes(whole[: len(whole) // 2])
    (out / entry["encodings"]["gzip"]).write_bytes(whole_gz[:10])
    compile_example(out, "--no-brotli")
    assert (out / entry["path"]).read_bytes() == whole
    assert gzip.decompress((out / entry["encodings"]["gzip"]).read_bytes()) == whole
    assert not list(out.rglob("*.tmp"))


@pytest.mark.e2e
def test_json_summary(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("compile", "--config", EXAMPLE / "assetbuild.toml", "--out", out,
                   "--json", "-", check=True)
    summary = json.loads(proc.stdout)
    assert summary["assets"] == 17 and summary["files_in"] == 15
    assert summary["build_id"] == read_manifest(out)["build_id"]
    assert set(summary["timings"]) >= {"scan", "transform", "rewrite", "commit"}


@pytest.mark.e2e
def test_large_files_are_streamed_with_correct_hashes_and_variants(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.json").write_bytes(b'{"k": "' + b"abcdefgh" * 1_500_000 + b'"}')  # 12 MB
    (src / "big.bin").write_bytes(os.urandom(9 << 20))
    (src / "big.js").write_bytes(b"var a = 1;\n" * 3_500_000)  # 36 MiB: copied, not minified
    out = tmp_path / "out"
    proc = run_cli("compile", src, "--out", out, "--brotli", check=True)
    assert "big.js: warning: 36 MB: too large to minify" in proc.stderr
    assets = read_manifest(out)["assets"]
    for name in ("big.json", "big.bin", "big.js"):
        data = (src / name).read_bytes()
        entry = assets[name]
        assert (out / entry["path"]).read_bytes() == data
        assert entry["integrity"] == sri(data)
        assert entry["path"] == f"{name.split('.')[0]}.{blake3.blake3(data).hexdigest()[:16]}.{name.split('.')[1]}"
    assert set(assets["big.json"]["encodings"]) == {"gzip", "br"}
    big = (out / assets["big.json"]["encodings"]["gzip"]).read_bytes()
    assert gzip.decompress(big) == (src / "big.json").read_bytes()
    assert assets["big.bin"]["encodings"] == {}
    assert not list(out.glob(".staging*"))


def test_gzip_variants_are_valid_and_deterministic_with_either_deflate_library(monkeypatch):
    import pytest

    from assetbuild import compress
    libraries = [None]  # None: the standard library's zlib
    try:
        from deflate import gzip_compress
        libraries.append(gzip_compress)
    except ImportError:
        pass
    data = b"body { color: red }\n" * 500 + "é".encode()
    for library in libraries:
        monkeypatch.setattr(compress, "_libdeflate_gzip", library)
        blob = compress.gzip_bytes(data)
        assert gzip.decompress(blob) == data
        assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0
        assert compress.gzip_bytes(data) == blob
        assert len(blob) < len(data) // 10
    if len(libraries) == 1:
        pytest.skip("deflate (the [fast] extra) is not installed; only the stdlib path was checked")


@pytest.mark.e2e
@pytest.mark.slow
def test_a_larger_tree_with_bundles_builds_the_same_with_one_or_two_processes(tmp_path):
    # Stylesheets wait for images and other stylesheets, modules for modules, bundles for
    # their parts; whatever order the workers finish in, the release is the same.
    base = tmp_path / "project"
    make_tree(base / "static", 600, 1)
    for k in range(3):
        (base / "static" / "a" / f"part{k}.js").parent.mkdir(exist_ok=True)
        (base / "static" / "a" / f"part{k}.js").write_text(f"var part{k} = {k};\n")
    (base / "assetbuild.toml").write_text(
        'sources = ["static"]\n[bundles]\n"bundles/a.js" = ["a/*.js"]\n'
        '"bundles/css.css" = ["css/c1.css", "css/c0.css"]\n')
    outs = {}
    for jobs in ("1", "2"):
        outs[jobs] = tmp_path / f"out{jobs}"
        run_cli("compile", "--config", base / "assetbuild.toml", "--out", outs[jobs], "-j", jobs,
                "--no-brotli", check=True)
    manifest = read_manifest(outs["2"])
    assert "bundles/a.js" in manifest["assets"] and not broken_links(outs["2"], manifest)
    assert tree_bytes(outs["1"]) == tree_bytes(outs["2"])


@pytest.mark.e2e
def test_a_source_named_like_a_map_the_build_writes_is_not_counted_as_processed(tree, tmp_path):
    """With --sourcemaps, js/a.js.map waits for the map a.js gets (which takes its name):
    it is neither transformed nor counted among the files processed."""
    tree({"static/js/a.js": "function add(a, b) {\n  // sum\n  return a + b;\n}\nadd(1, 2);\n",
          "static/js/a.js.map": '{"version": 3, "sources": [], "mappings": ""}\n',
          "static/site.css": ".a { color: red }\n"})
    run_cli("compile", tmp_path / "static", "--out", tmp_path / "out", "--sourcemaps",
            "--json", tmp_path / "summary.json", check=True)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["files_in"], summary["files_processed"]) == (3, 2)
    assert set(read_manifest(tmp_path / "out")["assets"]) == {"js/a.js", "js/a.js.map", "site.css",
                                                          "site.css.map"}
