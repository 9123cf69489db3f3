"""Brotli variants: the default quality, `brotli_quality` from file, flag and environment,
the build cache, and which files get compressed."""

from __future__ import annotations

import random

import brotli
import pytest
from support.cli import read_manifest, run_cli

pytestmark = pytest.mark.e2e

WORDS = ["color", "margin", "padding", "render", "value", "node", "index", "length", "push",
         "return", "function", "width", "height", "offset", "scale", "matrix", "vector"]


def _script(seed: int = 1, statements: int = 4000) -> str:
    """A script varied enough that brotli's qualities write different sizes."""
    rng = random.Random(seed)
    return "\n".join(f"window.{rng.choice(WORDS)}{rng.randrange(500)} = "
                     f"{rng.choice(WORDS)}({rng.randrange(10_000)}, '{rng.choice(WORDS)}');"
                     for _ in range(statements)) + "\n"


def _br(out, name: str = "app.js") -> tuple[bytes, bytes]:
    """(the asset's bytes, its .br bytes) in the release at *out*."""
    entry = read_manifest(out)["assets"][name]
    return (out / entry["path"]).read_bytes(), (out / entry["encodings"]["br"]).read_bytes()


def test_brotli_quality_from_flag_file_and_environment(tree):
    base = tree({"static/app.js": _script()})
    run_cli("compile", "static", "--out", "default", cwd=base, check=True)
    run_cli("compile", "static", "--out", "flag", "--brotli-quality", "11", cwd=base, check=True)
    run_cli("compile", "static", "--out", "env", cwd=base, check=True,
            env={"ASSETBUILD_BROTLI_QUALITY": "11"})
    (base / "assetbuild.toml").write_text('brotli_quality = 11\n')
    run_cli("compile", "static", "--out", "file", cwd=base, check=True)

    data, default = _br(base / "default")
    assert brotli.decompress(default) == data
    _, q11 = _br(base / "flag")
    assert brotli.decompress(q11) == data
    assert len(q11) < len(default) * 0.97
    assert _br(base / "env")[1] == q11
    assert _br(base / "file")[1] == q11


def test_the_same_sources_give_the_same_brotli_bytes(tree):
    base = tree({"static/app.js": _script(),
                 "static/small.css": "".join(f".a{i}{{color:red}}\n" for i in range(100))})
    run_cli("compile", "static", "--out", "one", cwd=base, check=True)
    run_cli("compile", "static", "--out", "two", "-j", "1", cwd=base, check=True)
    for name in ("app.js", "small.css"):
        assert _br(base / "one", name) == _br(base / "two", name)


def test_a_new_brotli_quality_is_not_taken_from_the_cache(tree):
    base = tree({"static/app.js": _script()})
    run_cli("compile", "static", "--out", "out", "--cache", "cache", cwd=base, check=True)
    _, default = _br(base / "out")
    run_cli("compile", "static", "--out", "fresh", "--brotli-quality", "11", cwd=base, check=True)
    _, q11 = _br(base / "fresh")
    run_cli("compile", "static", "--out", "out", "--cache", "cache", "--brotli-quality", "11",
            cwd=base, check=True)
    assert _br(base / "out")[1] == q11 != default


@pytest.mark.parametrize("args, env, message", [
    (["--brotli-quality", "12"], {}, "command line: brotli_quality: expected a whole number from 0 to 11, got 12"),
    ([], {"ASSETBUILD_BROTLI_QUALITY": "best"},
     "environment: ASSETBUILD_BROTLI_QUALITY: expected a whole number from 0 to 11, got 'best'"),
])
def test_bad_brotli_quality(tree, args, env, message):
    base = tree({"static/app.js": "var a;"})
    proc = run_cli("compile", "static", "--out", "o", *args, cwd=base, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(message)
    assert "Traceback" not in proc.stderr


def test_style_sources_shipped_beside_the_build_are_compressed(tree):
    base = tree({"static/scss/_vars.scss": "$primary: #0d6efd;\n" * 100,
                 "static/less/site.less": "@primary: #0d6efd;\n.a { color: @primary }\n" * 60})
    run_cli("compile", "static", "--out", "out", cwd=base, check=True)
    assets = read_manifest(base / "out")["assets"]
    for name in ("scss/_vars.scss", "less/site.less"):
        assert sorted(assets[name]["encodings"]) == ["br", "gzip"], name
        data, blob = _br(base / "out", name)
        assert brotli.decompress(blob) == data


def test_files_under_one_kib_get_gzip_only(tree):
    line = "<path d='M0 0h24v24H0z' fill='none'/>\n"  # 39 bytes
    under = (line * 27)[:1023]
    base = tree({"static/under.svg": under, "static/at.svg": under + "\n",
                 "static/tiny.txt": "hello\n" * 30})
    run_cli("compile", "static", "--out", "out", cwd=base, check=True)
    assets = read_manifest(base / "out")["assets"]
    assert (assets["under.svg"]["size"], sorted(assets["under.svg"]["encodings"])) == (1023, ["gzip"])
    assert (assets["at.svg"]["size"], sorted(assets["at.svg"]["encodings"])) == (1024, ["br", "gzip"])
    assert sorted(assets["tiny.txt"]["encodings"]) == ["gzip"]
    data, blob = _br(base / "out", "at.svg")
    assert brotli.decompress(blob) == data
    out_files = sorted(p.name.rsplit(".", 1)[-1] for p in (base / "out").rglob("under.*"))
    assert out_files == ["gz", "svg"]


def test_source_maps_get_gzip_only(tree):
    shipped = '{"version":3,"sources":["a.js"],"names":[],"mappings":"' + "AAAA;" * 400 + '"}'
    base = tree({"static/js/app.js": _script(statements=200), "static/vendor.js.map": shipped})
    run_cli("compile", "static", "--out", "out", "--sourcemaps", cwd=base, check=True)
    assets = read_manifest(base / "out")["assets"]
    assert assets["vendor.js.map"]["size"] >= 1024
    assert sorted(assets["vendor.js.map"]["encodings"]) == ["gzip"]
    assert assets["js/app.js.map"]["size"] >= 1024  # made by --sourcemaps
    assert sorted(assets["js/app.js.map"]["encodings"]) == ["gzip"]
    assert sorted(assets["js/app.js"]["encodings"]) == ["br", "gzip"]
    assert not list((base / "out").rglob("*.map.br"))
