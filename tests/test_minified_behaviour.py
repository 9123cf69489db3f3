"""Minified code must behave exactly like its source: original and compiled scripts run in
node and their results are compared — real libraries (probed by tests/thirdparty/probe.mjs),
an ES module graph that node loads through the rewritten specifiers, and hand-written
snippets of the constructs minifiers get wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli, write_tree
from support.corpus import require_node

pytestmark = pytest.mark.e2e

PROBE = Path(__file__).parent / "thirdparty" / "probe.mjs"


def node(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
    proc = subprocess.run([require_node(), *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


# (probe name, package, logical name of the file to load)
LIBRARIES = [
    ("lodash", "lodash", "lodash.js"),
    ("lodash-es", "lodash-es", "lodash.js"),  # ~640 modules, loaded through their imports
    ("jquery", "jquery", "dist/jquery.js"),
    ("jquery-factory", "jquery", "dist-module/jquery.factory.module.js"),
    ("jquery-src", "jquery", "src/jquery.js"),  # jQuery's own ES module sources
    ("d3", "d3", "d3.js"),
    ("chart", "chart.js", "dist/chart.umd.js"),
    ("leaflet", "leaflet", "leaflet-src.js"),
    ("leaflet-esm", "leaflet", "leaflet-src.esm.js"),
    ("three", "three", "build/three.module.js"),
    ("three", "three", "src/Three.js"),  # the whole src/ module tree
    ("bootstrap", "bootstrap", "dist/js/bootstrap.bundle.js"),
]


@pytest.mark.slow
@pytest.mark.parametrize("probe,package,logical", LIBRARIES,
                         ids=[f"{p}:{name}" for p, _, name in LIBRARIES])
def test_library_behaves_the_same_after_compiling(builds, probe, package, logical):
    build = builds.get(package)
    original, compiled = build.source / logical, build.path_of(logical)
    assert compiled.read_bytes() != original.read_bytes()  # minified, or its imports rewritten
    before = node(PROBE, probe, original)
    after = node(PROBE, probe, compiled)
    assert before[0] == 0, before[2][-3000:]
    result = json.loads(before[1])
    assert len(result["shape"]) >= 10 and len(result) >= 2  # the probe really ran
    assert after[0] == 0, after[2][-3000:]
    assert json.loads(after[1]) == result


MODULE_GRAPH = {
    "package.json": '{"type": "module"}\n',  # outside the source root: node reads .js as modules
    "src/app/main.mjs": """\
import def, { named as renamed } from './lib/util.js';
import * as ns from "./lib/ns.mjs";
import './side effect.js';
import data from './data/ünïcödé.js';
export { helper } from './lib/helper.js';
export * from './lib/star.mjs';
// import nope from './missing.js'
/* export * from './missing-too.js' */
const text = "import x from './not-a-ref.js'";
const lazy = await import('./lib/lazy.mjs');
const encoded = await import('./lib/per%20cent.mjs');
export const result = { def, renamed, ns: Object.keys(ns), data, lazy: lazy.default,
  encoded: encoded.default, text, side: globalThis.sideEffect };
""",
    "src/app/entry.js": """\
import { result, helper, star } from "./main.mjs";
console.log(JSON.stringify({ ...result, helper: helper(), star }));
""",
    "src/app/lib/util.js": "export default 'default export';\nexport const named = 'named';\n",
    "src/app/lib/ns.mjs": "export const a = 1, b = 2;\nexport function c() { return 3; }\n",
    "src/app/side effect.js": "globalThis.sideEffect = 'ran';\n",
    "src/app/data/ünïcödé.js": 'export default {"ok": true};\n',
    "src/app/lib/helper.js": "import { named } from './util.js';\nexport const helper = () => named + '!';\n",
    "src/app/lib/star.mjs": "export const star = `*${'*'}*`;\n",
    "src/app/lib/lazy.mjs": "export default await Promise.resolve('lazy');\n",
    "src/app/lib/per cent.mjs": "export default 'percent-encoded';\n",
}


def test_es_module_graph_loads_and_runs_the_same_after_compiling(tmp_path):
    write_tree(tmp_path, MODULE_GRAPH)
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-brotli", check=True)
    assert "warning" not in proc.stderr
    entry = read_manifest(out)["assets"]["app/entry.js"]
    before = node(tmp_path / "src/app/entry.js")
    after = node(out / entry["path"])
    assert before[0] == 0, before[2]
    assert json.loads(before[1])["side"] == "ran"
    assert after == before
    main = read_manifest(out)["assets"]["app/main.mjs"]["path"]
    compiled = (out / main).read_text(encoding="utf-8")
    assert "'./lib/lazy.mjs'" not in compiled and "not-a-ref.js" in compiled


# Constructs that minifiers are known to get wrong. Each runs as a classic script (.js) or a
# module (.mjs) and must print the same before and after compiling.
SNIPPETS = {
    "regex_vs_division.js": """\
var a = 10, b = 2, g = 1, s = 'a/b]c';
console.log(a / b / g, a /g/ 1, s.replace(/[/\\]]/g, '-'), s.split(/\\//).length);
if (true) /b/.test(s) && console.log('regex after )');
var f = () => /x/g; console.log(f().flags, typeof /x/, [8][0] / 2 / 1);
function r(t) { return /x/.test(t) } console.log(r('x'));
""",
    "templates.js": """\
var x = 1, o = { a: 1 };
console.log(`a ${ `b ${x + 1} // not a comment` } /* nor this */ ${'}'}`);
console.log(`${ x === 1 ? `, ${x})` : '' }`, `http://x.com/${'y'}`, `${`//`}`);
console.log(`${ {a: `${o.a}}`}.a }`, `${ "`" } // q`, `${ /`/.source }  two  spaces`);
const tag = (s, ...v) => s.raw.join('|') + v.join(',');
console.log(tag`a${`b  c`}d`, `line
  break`, String.raw`\\n${x}`);
""",
    "asi.js": """\
var a = 1, b = 2
a
++b
var c = a
-1
console.log(a, b, c)
function f() { return
42 }
function g() { return /* a
b */ 1 }
var d = a /* x
 */ ++b
console.log(f(), g(), d, b)
var e = 5
!function () { console.log('iife', e) }()
;[3, 4].forEach(function (n) { console.log(n) })
""",
    "keep_license.js": "/*! keep me: license */\n/* drop me */\nconsole.log('licensed');\n",
    "unicode.js": """\
var \\u0061bc = 3, café = 1, ñ = 2; var q = typeof \\u0061bc;
console.log(abc, q, café + ñ, '\\u00e9', 'é', '\\u{1F600}', '\\u2028'.length);
""",
    "numbers.js": "console.log(1 .toString(), 1..toString(), .5.toFixed(1), 0x1f.toString(), 1_000, 10n ** 20n);\n",
    "objects_classes.js": """\
var o = { get x() { return 1 }, set x(v) { this.y = v }, get get() { return 'g' }, static: 2 };
o.x = 5; console.log(o.x, o.y, o.get, o.static);
class A { #p = 1; static s = 2; q = 3; get p() { return this.#p } static { this.t = 4 }
  #m() { return 5 } m() { return this.#m() } static has(v) { return #p in v } }
console.log(new A().p, A.s, new A().q, A.t, new A().m(), A.has(new A()));
var n = { a: { b: null } };
console.log(n?.a?.b?.c, n.x?.[1], n.a?.b ?? 'd', n.f?.());
""",
    "control.js": """\
outer: for (var i = 0; i < 3; i++) { for (var j = 0; j < 3; j++) {
  if (j == 1) continue outer; if (i == 2) break outer; console.log(i, j) } }
blk: { console.log('in'); break blk; }
switch ('a') { case /a/.source: console.log('case'); }
async function af() { await null; return 'async' }
function* gen() { yield /y/; yield* [1, 2] }
af().then(v => console.log(v, [...gen()].length));
""",
    "module.mjs": """\
const value = await Promise.resolve(`top ${'level'}`);
export const more = { a: 1 }?.a;
console.log(value, more, import.meta.url.startsWith('file:'));
""",
}


@pytest.mark.slow
def test_tricky_snippets_behave_the_same_after_minifying(tmp_path):
    src = write_tree(tmp_path / "src", SNIPPETS)
    out = tmp_path / "out"
    proc = run_cli("compile", src, "--out", out, "--no-gzip", "--no-brotli", check=True)
    assert "warning" not in proc.stderr, proc.stderr
    assets = read_manifest(out)["assets"]
    differences = {}
    for name in SNIPPETS:
        compiled = out / assets[name]["path"]
        assert compiled.stat().st_size < (src / name).stat().st_size, f"{name} was not minified"
        before, after = node(src / name), node(compiled)
        assert before[0] == 0, f"{name}: {before[2]}"
        if after[:2] != before[:2]:
            differences[name] = (before[:2], after, compiled.read_text(encoding="utf-8"))
    assert differences == {}


def test_html_like_comments_are_left_unminified_with_a_warning(tmp_path):
    # In a classic script `<!--` starts a comment to the end of the line; rjsmin would join the
    # next line onto it and hide that code.
    src = write_tree(tmp_path / "src", {
        "legacy.js": "var x = 1 <!-- 2\n;console.log(x);\n-->  hidden\nconsole.log('shown');\n"})
    out = tmp_path / "out"
    proc = run_cli("compile", src, "--out", out, "--no-gzip", "--no-brotli", check=True)
    assert "legacy.js" in proc.stderr and "not minified" in proc.stderr
    compiled = out / read_manifest(out)["assets"]["legacy.js"]["path"]
    assert node(compiled)[:2] == node(src / "legacy.js")[:2] == (0, "1\nshown\n")
