"""Source maps for minified output (`--sourcemaps`), read back by an independent consumer:
mozilla's source-map package in node (tests/sourcemap/check.mjs). Every token of a
compiled file must map to a place in its source that holds the same text; maps composed
with a source's own map must agree with source-map's applySourceMap()."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli, write_tree
from support.corpus import require_node

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
CHECK = HERE / "sourcemap" / "check.mjs"
NODE_PACKAGES = HERE / ".sourcemap-node" / "node_modules"
ESBUILD = NODE_PACKAGES / ".bin" / "esbuild"
CORPUS = HERE / ".npm-corpus" / "node_modules"
MAP_LINE = {"js": re.compile(r"//# sourceMappingURL=(\S+)"),
            "css": re.compile(r"/\*# sourceMappingURL=(\S+) \*/")}


@pytest.fixture(scope="module", autouse=True)
def node_packages() -> None:
    require_node()
    if not (NODE_PACKAGES / "source-map").is_dir():
        pytest.skip("source-map is not installed: run .ci/setup.d/sourcemap.sh")


def check(*args: str | Path) -> dict:
    proc = subprocess.run([require_node(), CHECK, *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def compile_tree(src: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    return run_cli("compile", src, "--out", out, "--no-brotli", "-j", "1", "--sourcemaps",
                   *flags, check=True)


def compiled(out: Path, logical: str) -> Path:
    return out / read_manifest(out)["assets"][logical]["path"]


def assert_mapped(out: Path, logical: str, source_text: str | None = None) -> dict:
    """The compiled *logical* ends with a line naming its map, which the manifest lists as
    *logical*.map, names the source beside it and maps every token to the same text."""
    assets = read_manifest(out)["assets"]
    kind = "css" if logical.endswith(".css") else "js"
    data = compiled(out, logical).read_text(encoding="utf-8")
    last = data.rsplit("\n", 1)[1]
    map_path = assets[logical + ".map"]["path"]
    assert MAP_LINE[kind].fullmatch(last).group(1) == map_path.rsplit("/", 1)[-1]
    assert data.count("sourceMappingURL") == 1
    result = check("tokens", compiled(out, logical))
    assert result["failures"] == [] and result["failed"] == 0 and result["unmapped"] == 0
    assert result["checked"] > 0
    if source_text is not None:
        the_map = json.loads((out / map_path).read_text(encoding="utf-8"))
        assert the_map["sources"] == [logical.rsplit("/", 1)[-1]]
        assert the_map["sourcesContent"] == [source_text]
        assert "file" not in the_map
    return result


SCRIPT = """\
/*! Licence: kept,
 *  over three lines */
// A comment before the import
import { helper } from "./util.js"; import { other } from "./a/very/long/name/other.js"; const pi = 3.14;

function add(first, second) {
  /* a block
     comment */
  return first + second; // trailing
}
const url = "http://example.com/a//b /* not a comment */";
const re = /\\/*[a-z]+/g, half = add(1, 2) / 2;
const emoji = "\U0001F600 astral", after = emoji + 'é';  const tail = `x ${half} y`;
console.log(add(1, 2), helper, other, url, re, pi, after, tail);
"""

STYLESHEET = """\
@import url("base.css") screen;
/* heading */
body {
  color : red ;
  background: url("../img/a.png") no-repeat, url(../img/a-much-longer-name.png);
}
a::after { content: " /* not a comment */ \U0001F600"; margin : 0 0 ; }
"""


def test_every_token_maps_to_the_same_text_in_its_source(tmp_path):
    files = {
        "js/app.js": SCRIPT, "js/util.js": "export const helper = 1;\n",
        "js/a/very/long/name/other.js": "export const other = 2;\n",
        "css/site.css": STYLESHEET, "css/base.css": "html { margin: 0 }\n",
        "img/a.png": b"PNG", "img/a-much-longer-name.png": b"PNG2",
    }
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "out"
    proc = compile_tree(src, out)
    assert proc.stderr == ""
    app = compiled(out, "js/app.js").read_text(encoding="utf-8")
    assert '"./util.' in app and "/*! Licence: kept,\n" in app  # rewritten, kept
    assert assert_mapped(out, "js/app.js", SCRIPT)["checked"] > 100
    assert assert_mapped(out, "css/site.css", STYLESHEET)["checked"] > 50
    assert_mapped(out, "js/util.js", files["js/util.js"])


def test_maps_are_off_by_default_and_follow_the_settings(tmp_path):
    src = write_tree(tmp_path / "src", {"app.js": "var a = 1;\n"})
    run_cli("compile", src, "--out", tmp_path / "off", check=True)
    assert set(read_manifest(tmp_path / "off")["assets"]) == {"app.js"}
    assert compiled(tmp_path / "off", "app.js").read_text() == "var a=1;"
    (tmp_path / "assetbuild.toml").write_text('sources = ["src"]\nsourcemaps = true\n')
    run_cli("compile", "--out", "file", cwd=tmp_path, check=True)
    assert set(read_manifest(tmp_path / "file")["assets"]) == {"app.js", "app.js.map"}
    run_cli("compile", "--out", "flag", "--no-sourcemaps", cwd=tmp_path, check=True)
    assert set(read_manifest(tmp_path / "flag")["assets"]) == {"app.js"}
    run_cli("compile", "--out", "env", cwd=tmp_path, env={"ASSETBUILD_SOURCEMAPS": "0"},
            check=True)  # the environment wins over the file ...
    assert set(read_manifest(tmp_path / "env")["assets"]) == {"app.js"}
    run_cli("compile", "--out", "both", "--sourcemaps", cwd=tmp_path,
            env={"ASSETBUILD_SOURCEMAPS": "0"}, check=True)  # ... and a flag over both
    assert set(read_manifest(tmp_path / "both")["assets"]) == {"app.js", "app.js.map"}
    bad = run_cli("compile", "--out", "x", cwd=tmp_path, env={"ASSETBUILD_SOURCEMAPS": "maybe"})
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith(
        "environment: ASSETBUILD_SOURCEMAPS: expected true or false, got 'maybe'")


def test_kept_and_preminified_files_get_no_map(tmp_path):
    src = write_tree(tmp_path / "src", {"lib.min.js": "var a=1;\n//# sourceMappingURL=lib.min.js.map\n",
                                        "lib.min.js.map": '{"version":3,"sources":[],"mappings":""}',
                                        "img.png": b"PNG"})
    compile_tree(src, tmp_path / "out")
    assert set(read_manifest(tmp_path / "out")["assets"]) == {"lib.min.js", "lib.min.js.map",
                                                             "img.png"}


CORPUS_FILES = {"jquery.js": "jquery/dist/jquery.js", "lodash.js": "lodash/lodash.js",
                "bootstrap.css": "bootstrap/dist/css/bootstrap.css",
                "bootstrap.js": "bootstrap/dist/js/bootstrap.js"}


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory) -> Path:
    """The corpus files without the maps they name (which a second build composes)."""
    if not CORPUS.is_dir():
        pytest.skip("the npm corpus is not installed: run .ci/setup.d/thirdparty.sh")
    base = tmp_path_factory.mktemp("corpus-maps")
    for name, path in CORPUS_FILES.items():
        (base / "plain").mkdir(exist_ok=True)
        shutil.copy(CORPUS / path, base / "plain" / name)
    proc = compile_tree(base / "plain", base / "out")
    for name in ("bootstrap.css", "bootstrap.js"):  # they name maps this tree does not have
        assert f"{base / 'plain' / name}: warning: source map '{name}.map' not composed: " \
               "not found; the map written points at this file" in proc.stderr.splitlines()
    return base


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_corpus_files_map_every_token(corpus_build, name):
    source = (corpus_build / "plain" / name).read_text(encoding="utf-8")
    result = assert_mapped(corpus_build / "out", name, source)
    assert result["checked"] > 20_000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bootstrap.css", "bootstrap.js"])
def test_a_source_map_of_the_source_is_composed(tmp_path, name):
    """bootstrap.css names bootstrap.css.map (from its SCSS): the map written points at the
    SCSS, as source-map's own composition of the two maps does, token by token; it takes
    the name bootstrap.css.map in the manifest, and the original map is not published."""
    if not CORPUS.is_dir():
        pytest.skip("the npm corpus is not installed: run .ci/setup.d/thirdparty.sh")
    src, plain = tmp_path / "src", tmp_path / "plain"  # plain: the same, without a map
    src.mkdir()
    plain.mkdir()
    original = CORPUS / CORPUS_FILES[name]
    shutil.copy(original, src / name)
    shutil.copy(str(original) + ".map", src / f"{name}.map")
    plain_name = "plain." + name.rsplit(".", 1)[1]
    shutil.copy(original, plain / plain_name)
    out = tmp_path / "out"
    assert compile_tree(src, out).stderr == ""
    compile_tree(plain, tmp_path / "plain-out")
    assert set(read_manifest(out)["assets"]) == {name, f"{name}.map"}
    published = sorted(p.name for p in out.iterdir() if p.suffix in (".css", ".js", ".map"))
    written = read_manifest(out)["assets"]
    assert published == sorted([written[name]["path"], written[f"{name}.map"]["path"]])
    result = check("compare", compiled(out, name), compiled(tmp_path / "plain-out", plain_name),
                   plain_name, src / f"{name}.map")
    assert result["failures"] == [] and result["failed"] == 0
    assert result["composed"] > 0.95 * result["checked"]
    assert any(s.endswith(".scss") or s.startswith("../../js/src/") for s in result["sources"])


TYPESCRIPT = """\
// Geometry helpers, compiled by esbuild.
interface Point {
  x: number;
  y: number;
}

export function distance(a: Point, b: Point): number {
  const dx: number = a.x - b.x;
  const dy = a.y - b.y; /* squared */
  return Math.sqrt(dx * dx + dy * dy);
}

export class Shape<T extends Point> {
  private points: T[] = [];
  add(point: T): this {
    this.points.push(point);
    return this;
  }
  get length(): number {
    return this.points.reduce((sum, p, i, all) => i ? sum + distance(all[i - 1], p) : sum, 0);
  }
}

const label = (n: number): string => n.toFixed(2) + "!";
console.log(label(new Shape().add({ x: 0, y: 0 }).add({ x: 3, y: 4 }).length));
"""

CSS_PARTS = {
    "styles/main.css": '@import "./buttons.css";\n\nbody {\n  margin: 0;\n  color: black;\n}\n',
    "styles/buttons.css": ".btn {\n  padding: 4px 8px;\n  border: 1px solid;\n}\n"
                          "a { color : red }\n",
}


def esbuild(*args: str | Path, cwd: Path) -> None:
    subprocess.run([str(ESBUILD), *map(str, args)], cwd=cwd, check=True, capture_output=True,
                   timeout=120)


@pytest.mark.parametrize("inline", [False, True], ids=["map-file", "inline-map"])
def test_a_compilers_map_is_composed(tmp_path, inline):
    """TypeScript and a CSS bundle compiled by esbuild, with their maps (in a file beside
    them or inline): the maps written point at the .ts and .css sources."""
    write_tree(tmp_path, {"ts/app.ts": TYPESCRIPT, **CSS_PARTS})
    how = "--sourcemap=inline" if inline else "--sourcemap"
    esbuild("ts/app.ts", how, "--format=esm", "--outfile=static/js/app.js", cwd=tmp_path)
    esbuild("styles/main.css", how, "--bundle", "--outfile=static/css/site.css", cwd=tmp_path)
    plain = tmp_path / "plain"  # the same files without a map to compose with
    for logical in ("js/app.js", "css/site.css"):
        text = (tmp_path / "static" / logical).read_text()
        body, comment = text.rstrip("\n").rsplit("\n", 1)
        assert "sourceMappingURL=" in comment
        url = comment.split("sourceMappingURL=")[1].split()[0]
        if inline:  # the map as a file, for source-map's composition
            (tmp_path / f"{logical}.inline.map").parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / f"{logical}.inline.map").write_bytes(base64.b64decode(url.split(",")[1]))
        write_tree(plain, {logical.replace("app.", "plain.").replace("site.", "plain."): body + "\n"})
    out = tmp_path / "out"
    assert compile_tree(tmp_path / "static", out).stderr == ""
    compile_tree(plain, tmp_path / "plain-out")
    expected = {"js/app.js", "js/app.js.map", "css/site.css", "css/site.css.map"}
    assert set(read_manifest(out)["assets"]) == expected
    for logical, sources in (("js/app.js", ["../../ts/app.ts"]),
                             ("css/site.css", ["../../styles/buttons.css", "../../styles/main.css"])):
        input_map = tmp_path / (f"{logical}.inline.map" if inline else f"static/{logical}.map")
        plain_name = logical.rsplit("/", 1)[1].replace("app.", "plain.").replace("site.", "plain.")
        result = check("compare", compiled(out, logical),
                       compiled(tmp_path / "plain-out", logical.split("/")[0] + "/" + plain_name),
                       plain_name, input_map)
        assert result["failures"] == [] and result["failed"] == 0 and result["composed"] > 20
        assert result["sources"] == sources
        # Names, numbers and keywords point at the same word in the .ts/.css source, or at
        # nothing where esbuild wrote code of its own (export { ... } at the end).
        words = check("tokens", compiled(out, logical), "words")
        assert words["failures"] == [] and words["failed"] == 0
        assert words["unmapped"] <= 3 and words["checked"] > 10


def test_a_map_is_made_for_a_file_left_unminified(tmp_path):
    """A classic script with an HTML-like comment is kept as written (with a warning): it
    still gets a map, and its own map comment gives way to the new one."""
    script = "var a = 1;\n<!-- old browsers\nvar b = a + 1; // b\n//# sourceMappingURL=old.js.map\n"
    src = write_tree(tmp_path / "src", {"old.js": script})
    out = tmp_path / "out"
    proc = compile_tree(src, out)
    assert "not minified" in proc.stderr
    assert_mapped(out, "old.js", script)
    assert compiled(out, "old.js").read_text().startswith("var a = 1;\n<!-- old browsers\n")


def test_a_map_that_cannot_be_read_is_a_warning(tmp_path):
    src = write_tree(tmp_path / "src", {
        "a.js": "var a = 1;\n//# sourceMappingURL=a.js.map\n", "a.js.map": "{not json",
        "b.css": "b { c: d }\n/*# sourceMappingURL=data:application/json;base64,e30= */\n",
        "c.js": "var c = 1;\n//# sourceMappingURL=gone.map\n"})
    out = tmp_path / "out"
    proc = compile_tree(src, out)
    assert sorted(proc.stderr.splitlines()) == [
        f"{src / 'a.js'}: warning: source map 'a.js.map' not composed: not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
        "the map written points at this file",
        f"{src / 'b.css'}: warning: source map 'data:application/json;base64,e30=' not "
        "composed: version None; only version 3 is read; the map written points at this file",
        f"{src / 'c.js'}: warning: source map 'gone.map' not composed: not found; the map "
        "written points at this file"]
    for logical in ("a.js", "b.css", "c.js"):
        assert_mapped(out, logical, (src / logical).read_text())
    strict = run_cli("compile", src, "--out", tmp_path / "strict", "--sourcemaps", "--strict")
    assert strict.returncode == 1


def test_a_map_named_like_the_new_one_is_copied_when_no_map_is_made(tmp_path):
    """app.js is not UTF-8, so it is copied as it is, without a map: the source app.js.map
    is then published as it is."""
    src = write_tree(tmp_path / "src", {"app.js": b"var a = '\xff';\n",
                                        "app.js.map": '{"version":3,"sources":[],"mappings":""}'})
    out = tmp_path / "out"
    proc = compile_tree(src, out)
    assert "not valid UTF-8" in proc.stderr
    assert compiled(out, "app.js.map").read_bytes() == (src / "app.js.map").read_bytes()


def test_a_rebuild_with_the_cache_writes_the_same_maps(tmp_path):
    src = write_tree(tmp_path / "src", {"app.js": "var a = 1;\n//# sourceMappingURL=app.js.map\n",
                                        "app.js.map": json.dumps({
                                            "version": 3, "sources": ["app.ts"],
                                            "sourcesContent": ["let a = 1"],
                                            "mappings": "AAAA,IAAI,CAAC,GAAG"}),
                                        "other.css": "a { b: c }\n"})
    out, cache = tmp_path / "out", tmp_path / "cache"
    compile_tree(src, out, "--cache", cache)
    first = read_manifest(out)
    compile_tree(src, out, "--cache", cache)
    assert read_manifest(out) == first
    # Only the source's map changes: the map written changes with it.
    (src / "app.js.map").write_text((src / "app.js.map").read_text().replace("let a = 1", "let a=1"))
    compile_tree(src, out, "--cache", cache)
    again = read_manifest(out)["assets"]
    assert again["app.js.map"]["path"] != first["assets"]["app.js.map"]["path"]
    assert json.loads(compiled(out, "app.js.map").read_text())["sourcesContent"] == ["let a=1"]
    assert again["other.css"] == first["assets"]["other.css"]


def test_bundles_join_the_maps_of_their_parts(tmp_path):
    """A bundle's map points each token at its part's source (references rewritten as
    seen from the bundle); only the line between JS parts, which joining adds, is
    unmapped. A part whose @import moved to the top of a CSS bundle stays unmapped."""
    files = {
        "js/a.js": "var one = 1; // first\nfunction f(a) {\n  return a + one;\n}\n",
        "js/lib/b.js": "\n\n  var two = f(2); /* x */ console.log(two, '\U0001F600', one);\n",
        "js/c.js": "console.log('c')\n//# sourceMappingURL=c.js.map\n",
        "js/c.js.map": json.dumps({"version": 3, "sources": ["../ts/c.ts"],
                                   "sourcesContent": ["console.log('c' as string)"],
                                   "names": [], "mappings": "AAAA,OAAO,CAAC,GAAG,CAAC,CAAC,CAAC,CAAW"}),
        "css/a.css": "a { color : red }\n",
        "css/b.css": "b { margin : 0 ; background: url('../img/x.png') }\n",
        "css/c.css": "@import 'a.css';\nc { d: e }\n",
        "img/x.png": b"PNG",
    }
    write_tree(tmp_path / "src", files)
    (tmp_path / "assetbuild.toml").write_text(
        'sources = ["src"]\n[bundles]\n'
        '"bundles/app.js" = ["js/a.js", "js/lib/b.js", "js/c.js"]\n'
        '"bundles/site.css" = ["css/a.css", "css/b.css"]\n'
        '"bundles/imports.css" = ["css/a.css", "css/c.css"]\n')
    out = tmp_path / "out"
    assert run_cli("compile", "--out", out, "--sourcemaps", cwd=tmp_path, check=True).stderr == ""
    assets = read_manifest(out)["assets"]
    assert {"bundles/app.js.map", "bundles/site.css.map", "bundles/imports.css.map"} <= set(assets)
    for name, unmapped, sources in (
            ("bundles/app.js", 2, ["../js/a.js", "../js/lib/b.js", "../ts/c.ts"]),
            ("bundles/site.css", 0, ["../css/a.css", "../css/b.css"]),
            ("bundles/imports.css", 0, ["../css/a.css"])):
        text = compiled(out, name).read_text(encoding="utf-8")
        assert MAP_LINE[name.rsplit(".", 1)[1]].fullmatch(text.rsplit("\n", 1)[1]).group(1) == \
            assets[name + ".map"]["path"].rsplit("/", 1)[1]
        result = check("tokens", compiled(out, name))
        assert result["failures"] == [] and result["failed"] == 0
        assert result["sources"] == sources
        if name == "bundles/imports.css":
            assert result["unmapped"] > 0  # c.css, changed by the move of its @import
        else:
            assert result["unmapped"] == unmapped  # the ';' lines between parts
    the_map = json.loads(compiled(out, "bundles/app.js.map").read_text())
    assert the_map["sourcesContent"] == [files["js/a.js"], files["js/lib/b.js"],
                                         "console.log('c' as string)"]


def test_modules_in_an_import_cycle_keep_their_own_map(tmp_path):
    """Modules that import each other are fingerprinted together and get no map: a map of
    the sources named like theirs is published as it is."""
    src = write_tree(tmp_path / "src", {
        "a.mjs": "import { b } from './b.mjs';\nexport const a = () => b;\n",
        "b.mjs": "import { a } from './a.mjs';\nexport const b = () => a;\n",
        "a.mjs.map": '{"version":3,"sources":["a.ts"],"mappings":""}'})
    out = tmp_path / "out"
    assert compile_tree(src, out).stderr == ""
    assert set(read_manifest(out)["assets"]) == {"a.mjs", "b.mjs", "a.mjs.map"}
    assert compiled(out, "a.mjs.map").read_bytes() == (src / "a.mjs.map").read_bytes()
