"""Source roots, logical names, ignore rules, symlinks, bundles and minification."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from support.cli import read_manifest, run_cli

pytestmark = pytest.mark.e2e


def test_first_root_wins_with_a_warning(tree):
    base = tree({"one/a.js": "var one;", "two/a.js": "var two;", "two/b.js": "var b;"})
    proc = run_cli("compile", base / "one", base / "two", "--out", base / "out", check=True)
    assets = read_manifest(base / "out")["assets"]
    assert set(assets) == {"a.js", "b.js"}
    assert b"one" in (base / "out" / assets["a.js"]["path"]).read_bytes()
    assert "'a.js' is also in" in proc.stderr and str(base / "two" / "a.js") in proc.stderr


def test_ignore_rules(tree):
    base = tree({"s/.hidden.js": "x", "s/.git/config": "x", "s/keep.js": "var k;",
                 "s/src/x.scss": "a{}", "s/tests/t.js": "t", "s/deep/tests/t.js": "t"})
    run_cli("compile", base / "s", "--out", base / "out", "--ignore", "*.scss",
            "--ignore", "tests/*", check=True)
    assert set(read_manifest(base / "out")["assets"]) == {"keep.js", "deep/tests/t.js"}


def test_symlink_outside_root_is_not_followed(tree):
    base = tree({"secret/key.txt": "SECRET", "s/a.txt": "a", "s/inner/b.txt": "b"})
    os.symlink(base / "secret" / "key.txt", base / "s" / "key.txt")
    os.symlink(base / "secret", base / "s" / "secretdir")
    os.symlink(base / "s" / "inner", base / "s" / "alias")
    os.symlink(base / "s", base / "s" / "inner" / "loop")
    proc = run_cli("compile", base / "s", "--out", base / "out", check=True)
    assets = read_manifest(base / "out")["assets"]
    assert set(assets) == {"a.txt", "inner/b.txt", "alias/b.txt"}
    assert proc.stderr.count("symlink leads outside its source root") == 2
    assert not any(b"SECRET" in p.read_bytes() for p in (base / "out").rglob("*") if p.is_file())


def test_output_inside_source_root_is_never_read(tree):
    base = tree({"static/a.js": "var a;"})
    for _ in range(2):
        run_cli("compile", base / "static", "--out", base / "static" / "build", check=True)
    assert set(read_manifest(base / "static" / "build")["assets"]) == {"a.js"}


def test_an_earlier_release_inside_a_source_folder_is_skipped_with_a_warning(tree):
    """An output folder moved elsewhere leaves the old release in the sources: it is not
    compiled again as source (its fingerprinted copies would be fingerprinted twice)."""
    base = tree({"static/a.js": "var a;", "static/data/manifest.json": '{"start_url": "/"}'})
    run_cli("compile", base / "static", "--out", base / "static" / "dist", check=True)
    proc = run_cli("compile", base / "static", "--out", base / "build", check=True)
    assert set(read_manifest(base / "build")["assets"]) == {"a.js", "data/manifest.json"}
    assert proc.stderr == (
        f"{base / 'static' / 'dist'}: warning: skipped: an earlier assetbuild release (its "
        "manifest.json was written by assetbuild), not a source folder; delete it, or write "
        "releases outside the source folders\n")
    assert "compiled 2 files" in proc.stdout and "1 warning," in proc.stdout


def test_an_empty_source_folder_is_a_warning(tree):
    base = tree({"static/.keep": "", "vendor/a.js": "var a;"})
    proc = run_cli("compile", base / "static", base / "vendor", "--out", base / "out", check=True)
    assert proc.stderr == (
        f"{base / 'static'}: warning: source folder holds no files to compile; dotfiles, "
        "dot-folders, --ignore patterns and earlier releases are skipped\n")
    assert proc.stdout.startswith(f"compiled 1 file (0.0 kB) into {base / 'out'}: 1 asset (")
    assert ", 1 warning, " in proc.stdout


def test_output_folder_reached_through_a_linked_folder_is_never_read(tree):
    """The scan knows a folder's real place from its parent's: the output folder, seen
    again under a link to the folder that holds it, is still recognised and skipped."""
    base = tree({"static/vendor/a.js": "var a;"})
    os.symlink(base / "static" / "vendor", base / "static" / "alias")
    for _ in range(2):  # the second build would list the first one's files if it read them
        run_cli("compile", base / "static", "--out", base / "static" / "vendor" / "out",
                check=True)
    assets = read_manifest(base / "static" / "vendor" / "out")["assets"]
    assert set(assets) == {"alias/a.js", "vendor/a.js"}


def test_bundles(tree):
    base = tree({
        "pyproject.toml": """
[tool.assetbuild]
sources = ["static"]
out = "build"
[tool.assetbuild.bundles]
"bundles/app.js" = ["js/one.js", "js/parts/*.js"]
"bundles/site.css" = ["css/a.css", "css/deep/b.css"]
""",
        "static/js/one.js": "window.order = ['one']\n// trailing comment without newline",
        "static/js/parts/2.js": "(function(){ window.order.push('two') })()",
        "static/js/parts/3.js": "window.order.push('three')",
        "static/css/a.css": ".a{background:url(../img/a.png)}",
        "static/css/deep/b.css": '@import "../c.css";\n.b{background:url("../../img/b.png")}',
        "static/css/c.css": ".c{color:red}",
        "static/img/a.png": b"a", "static/img/b.png": b"b",
    })
    run_cli("compile", cwd=base, check=True)
    out = base / "build"
    assets = read_manifest(out)["assets"]
    js = (out / assets["bundles/app.js"]["path"]).read_text()
    script = "global.window = {};\n" + js + "\nconsole.log(JSON.stringify(window.order))"
    result = subprocess.run(["node", "-e", script],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == '["one","two","three"]', result.stderr
    css = (out / assets["bundles/site.css"]["path"]).read_text()
    assert css.startswith(f'@import "../{assets["css/c.css"]["path"]}";')
    assert f"url(../{assets['img/a.png']['path']})" in css
    assert f'url("../{assets["img/b.png"]["path"]}")' in css
    assert "js/one.js" in assets  # parts stay assets of their own


@pytest.mark.parametrize("bundles, message", [
    ('"bundles/x.js" = ["nope/*.js"]', "'nope/*.js' matches no source file"),
    ('"bundles/x.js" = ["a.css"]', "part 'a.css' is not a JS file"),
    ('"bundles/x.txt" = ["a.css"]', "the name must end in .css or .js"),
    ('"a.css" = ["a.css"]', "a source file has the same logical name"),
    ('"../x.css" = ["a.css"]', "must be a relative path"),
])
def test_bundle_mistakes_are_reported(tree, bundles, message):
    base = tree({"assetbuild.toml": f'sources = ["s"]\nout = "o"\n[bundles]\n{bundles}\n',
                 "s/a.css": "a{}"})
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 1
    assert message in proc.stderr and "assetbuild.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_modules_cannot_be_bundled(tree):
    base = tree({"assetbuild.toml": 'sources = ["s"]\nout = "o"\n[bundles]\n"b.js" = ["m.js"]\n',
                 "s/m.js": "export const a = 1;"})
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 1 and "is an ES module" in proc.stderr


def test_minification_keeps_licences_and_skips_min_files(tree):
    min_js = "var  a = 1 ;  /* already minified, keep as is */\n"
    base = tree({"s/a.js": "/*! licence A */\nvar answer = 40 + 2; // comment\n",
                 "s/a.css": "/*! licence B */\n.a {  color : red ; }\n/* gone */",
                 "s/lib.min.js": min_js, "s/lib.min.css": ".x {  color : red }"})
    run_cli("compile", base / "s", "--out", base / "out", check=True)
    out, assets = base / "out", read_manifest(base / "out")["assets"]
    def text(n: str) -> str:
        return (out / assets[n]["path"]).read_text()

    assert text("a.js") == "/*! licence A */var answer=40+2;"
    assert text("a.css") == "/*! licence B */.a{color:red}"
    assert text("lib.min.js") == min_js and text("lib.min.css") == ".x {  color : red }"
    run_cli("compile", base / "s", "--out", base / "raw", "--no-minify", check=True)
    raw = read_manifest(base / "raw")["assets"]
    assert (base / "raw" / raw["a.js"]["path"]).read_text() == "/*! licence A */\nvar answer = 40 + 2; // comment\n"


def test_minified_example_scripts_behave_like_the_source(tree):
    script = r"""
    var re = /[/\]]+/g, s = "a/b]c";
    var tpl = `x${ {a: 1}.a + `y${2}` }z`;
    var div = 10 / 2 / 5;
    var obj = { get v() { return 7; }, ['k' + 1]: 2 };
    label: for (var i = 0; i < 3; i++) { if (i === 1) continue label; }
    var r = (function () { return "ret"
    })();
    console.log(JSON.stringify([s.replace(re, "-"), tpl, div, obj.v, obj.k1, i, r, typeof /x/ / 2]));
    """
    base = tree({"s/t.js": script})
    run_cli("compile", base / "s", "--out", base / "out", check=True)
    minified = (base / "out" / read_manifest(base / "out")["assets"]["t.js"]["path"]).read_text()
    assert len(minified) < len(script)
    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["node", "-e", code], capture_output=True, text=True, timeout=60)

    original, compiled = run(script), run(minified)
    assert original.returncode == 0 and original.stdout == compiled.stdout


def test_invalid_utf8_is_copied_with_a_warning(tree):
    base = tree({"s/latin1.css": "a{content:'caf\xe9'}".encode("latin-1")})
    proc = run_cli("compile", base / "s", "--out", base / "out", check=True)
    assert "latin1.css: warning: not valid UTF-8" in proc.stderr
    path = read_manifest(base / "out")["assets"]["latin1.css"]["path"]
    assert (base / "out" / path).read_bytes() == "a{content:'caf\xe9'}".encode("latin-1")


def test_cache_gives_the_same_release(tree):
    base = tree({"s/a.css": ".a{background:url(b.png)}", "s/b.png": b"png",
                 "s/m.mjs": "import './n.mjs';", "s/n.mjs": "export {}"})
    run_cli("compile", base / "s", "--out", base / "o1", "--cache", base / "cache", check=True)
    run_cli("compile", base / "s", "--out", base / "o2", "--cache", base / "cache", check=True)
    run_cli("compile", base / "s", "--out", base / "o3", check=True)
    m = [json.loads((base / o / "manifest.json").read_text()) for o in ("o1", "o2", "o3")]
    assert m[0] == m[1] == m[2]
    assert any((base / "cache").rglob("*.json"))
    for entry in (base / "cache").rglob("*.json"):  # a damaged cache is ignored
        entry.write_text("{not json")
    run_cli("compile", base / "s", "--out", base / "o4", "--cache", base / "cache", check=True)
    assert json.loads((base / "o4" / "manifest.json").read_text()) == m[0]


def test_bundle_part_that_is_not_utf8_is_an_error(tree):
    base = tree({"assetbuild.toml": 'sources = ["s"]\nout = "o"\n[bundles]\n"b.css" = ["a.css"]\n',
                 "s/a.css": "a{content:'\xe9'}".encode("latin-1")})
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 1 and "part 'a.css' cannot be joined: it is not valid UTF-8" in proc.stderr


@pytest.mark.parametrize("out", ["static", "."])
def test_output_folder_must_not_hold_a_source_folder(tree, out):
    base = tree({"static/a.js": "var a;"})
    proc = run_cli("compile", "static", "--out", out, cwd=base)
    assert proc.returncode == 2 and "must not be or contain a source folder" in proc.stderr
    assert not (base / "static" / "manifest.json").exists()
