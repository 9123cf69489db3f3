"""Reference rewriting through the real CLI: CSS url()/@import/image-set, source maps,
ES module specifiers, and everything that must stay untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli

pytestmark = pytest.mark.e2e


def compile_tree(tree, files: dict, *flags: str) -> tuple[Path, dict, str]:
    base = tree({**{f"src/{k}": v for k, v in files.items()}})
    out = base / "out"
    proc = run_cli("compile", base / "src", "--out", out, "--no-brotli", *flags, check=True)
    return out, read_manifest(out), proc.stderr


def output_text(out: Path, manifest: dict, name: str) -> str:
    return (out / manifest["assets"][name]["path"]).read_text(encoding="utf-8")


def url_of(manifest: dict, name: str) -> str:
    return manifest["assets"][name]["path"]


PNG = b"\x89PNG\r\n\x1a\nfake"


@pytest.mark.parametrize("written, expected", [
    ('url(../img/a.png)', 'url(../img/{a})'),
    ('url("../img/a.png")', 'url("../img/{a}")'),
    ("url('../img/a.png')", "url('../img/{a}')"),
    ('URL(../img/a.png)', 'URL(../img/{a})'),
    ('url(  "../img/a.png"  )', 'url("../img/{a}")'),
    ('url(\n  ../img/a.png\n)', 'url(../img/{a})'),
    ('url(../img/a.png?v=1#x)', 'url(../img/{a}?v=1#x)'),
    ('url("../img/a.png?#iefix")', 'url("../img/{a}?#iefix")'),
    ('url(/static/img/a.png)', 'url(/static/img/{a})'),
    ('url(./../img/a.png)', 'url(../img/{a})'),
])
def test_css_url_forms(tree, written, expected):
    css = f".x{{background:{written}}}"
    out, manifest, _ = compile_tree(tree, {"css/s.css": css, "img/a.png": PNG})
    a = url_of(manifest, "img/a.png").split("/")[-1]
    assert expected.format(a=a) in output_text(out, manifest, "css/s.css")


def test_several_urls_image_set_and_font_face_src(tree):
    css = """
    .a { background: url(a.png), url("b.png") , url('c.png'); }
    .b { background-image: image-set("a.png" 1x, url(b.png) 2x); }
    .c { background-image: -webkit-image-set('c.png' 1x); }
    @font-face { font-family: F; src: url(f.woff2) format("woff2"), url("f.woff") format("woff"), local("F"); }
    """
    files = {"s.css": css, "a.png": PNG, "b.png": PNG + b"b", "c.png": PNG + b"c",
             "f.woff2": b"w2", "f.woff": b"w1"}
    out, manifest, err = compile_tree(tree, files)
    text = output_text(out, manifest, "s.css")
    for name in ("a.png", "b.png", "c.png", "f.woff2", "f.woff"):
        assert text.count(url_of(manifest, name)) >= 1, name
    assert 'local("F")' in text
    assert not re.search(r"url\(['\"]?[abc]\.png", text)
    assert "warning" not in err


def test_import_forms_with_media_queries(tree):
    css = """@import "a.css";
    @import url(b.css) screen and (min-width: 100px);
    @import url('c.css') print;
    .x { color: red }"""
    files = {"main.css": css, "a.css": ".a{color:red}", "b.css": ".b{color:red}",
             "c.css": ".c{color:red}"}
    out, manifest, _ = compile_tree(tree, files)
    text = output_text(out, manifest, "main.css")
    assert f'@import "{url_of(manifest, "a.css")}"' in text
    assert f"@import url({url_of(manifest, 'b.css')}) screen and" in text
    assert f"@import url('{url_of(manifest, 'c.css')}') print" in text


def test_untouched_references(tree):
    css = """.a { background: url(data:image/png;base64,iVBORw0KGgo=); }
    .b { background: url(https://cdn.example.com/x.png), url(http://e.com/y.png); }
    .c { background: url(//cdn.example.com/z.png); }
    .d { filter: url(#shadow); }
    .e { background: url(); }
    /* .f { background: url(img.png) } */
    .g { content: "url(img.png)"; }
    .h { background: url(/elsewhere/img.png); }"""
    out, manifest, err = compile_tree(tree, {"s.css": css, "img.png": PNG}, "--no-minify")
    assert output_text(out, manifest, "s.css") == css
    assert "warning" not in err


def test_names_with_spaces_and_non_ascii_survive_minification(tree):
    css = """@font-face { font-family: X; src: url("fonts/My Font.woff2") format("woff2"); }
    .a { background: url('img/été.png'); }
    .b { background: url(img/%C3%A9t%C3%A9.png); }
    .c { background: url(img/with\\ space.png); }"""
    files = {"s.css": css, "fonts/My Font.woff2": b"font", "img/été.png": PNG,
             "img/with space.png": PNG + b"s"}
    out, manifest, err = compile_tree(tree, files)
    text = output_text(out, manifest, "s.css")
    assert "warning" not in err
    font = url_of(manifest, "fonts/My Font.woff2")
    assert 'url("fonts/My%20Font.' + font.split(".")[1] + '.woff2")' in text
    ete = url_of(manifest, "img/été.png").split(".")[1]
    assert text.count(f"t%C3%A9.{ete}.png") == 2
    assert "with%20space." in text
    for target in re.findall(r"url\(['\"]?([^'\")]+)", text):
        from urllib.parse import unquote
        assert (out / unquote(target)).is_file(), target


def test_sourcemap_dropped_when_minified_and_rewritten_when_kept(tree):
    files = {
        "app.js": "var a = 1;\n//# sourceMappingURL=app.js.map\n",
        "app.js.map": '{"version":3}',
        "lib.min.js": "var b=2;\n//# sourceMappingURL=lib.min.js.map\n",
        "lib.min.js.map": '{"version":3,"x":1}',
        "s.css": "a{color:red}\n/*# sourceMappingURL=s.css.map */\n",
        "s.css.map": '{"version":3,"y":1}',
    }
    out, manifest, err = compile_tree(tree, files)
    assert "sourceMappingURL" not in output_text(out, manifest, "app.js")
    assert "sourceMappingURL" not in output_text(out, manifest, "s.css")
    kept = output_text(out, manifest, "lib.min.js")
    assert f"//# sourceMappingURL={url_of(manifest, 'lib.min.js.map')}" in kept
    assert "warning" not in err


def test_sourcemap_rewritten_without_minify(tree):
    files = {"app.js": "var a = 1;\n//# sourceMappingURL=app.js.map\n",
             "app.js.map": '{"version":3}',
             "s.css": "a{color:red}\n/*# sourceMappingURL=maps/s.css.map */\n",
             "maps/s.css.map": '{"version":3}'}
    out, manifest, _ = compile_tree(tree, files, "--no-minify")
    assert f"sourceMappingURL={url_of(manifest, 'app.js.map')}" in output_text(out, manifest, "app.js")
    assert f"sourceMappingURL={url_of(manifest, 'maps/s.css.map')} */" in output_text(out, manifest, "s.css")


def test_es_module_specifiers(tree):
    files = {
        "js/main.mjs": """import def, { a as b } from "./lib/a.mjs";
import * as ns from '../shared/ns.js';
import './side.js';
export { c } from "./lib/c.mjs";
export * from "./lib/c.mjs";
import bare from "lodash-es";
import remote from "https://cdn.example.com/x.mjs";
const s = "import x from './nope.mjs'";
const t = `import y from './nope.mjs' ${1 + 1}`;
// import z from './nope.mjs';
/* export * from './nope.mjs' */
const lazy = () => import('./lazy.mjs');
const r = /import x from '.\\/nope.mjs'/;
console.log(def, b, ns, bare, remote, s, t, lazy, r);
""",
        "js/lib/a.mjs": "export default 1; export const a = 2;",
        "js/lib/c.mjs": "export const c = 3;",
        "shared/ns.js": "export const n = 4;",
        "js/side.js": "globalThis.side = 1;",
        "js/lazy.mjs": "export default 5;",
    }
    out, manifest, err = compile_tree(tree, files, "--no-minify")
    text = output_text(out, manifest, "js/main.mjs")
    def base(n: str) -> str:
        return url_of(manifest, n).split("/")[-1]

    assert f'from "./lib/{base("js/lib/a.mjs")}"' in text
    assert f"from '../shared/{base('shared/ns.js')}'" in text
    assert f"import './{base('js/side.js')}'" in text
    assert text.count(f'from "./lib/{base("js/lib/c.mjs")}"') == 2
    assert f"import('./{base('js/lazy.mjs')}')" in text
    assert 'from "lodash-es"' in text and "https://cdn.example.com/x.mjs" in text
    assert text.count("nope.mjs") == 5
    assert "warning" not in err
    assert manifest["assets"]["js/main.mjs"].get("module") is True
    assert manifest["assets"]["shared/ns.js"].get("module") is True
    assert manifest["assets"]["js/side.js"].get("module") is None


def test_compiled_modules_still_load_each_other_in_node(tree):
    files = {
        "main.mjs": """import { greet } from "./lib/greet.mjs";
import "./lib/side.mjs";
export * from "./lib/more.mjs";
const lazy = await import("./lazy.mjs");
console.log(JSON.stringify([greet("x"), globalThis.side, lazy.default]));
""",
        "lib/greet.mjs": "export function greet(n) { return `hi ${n}`; }",
        "lib/side.mjs": "globalThis.side = 'side';",
        "lib/more.mjs": "export const more = 1;",
        "lazy.mjs": "export default 'lazy';",
    }
    out, manifest, _ = compile_tree(tree, files)
    import subprocess
    entry = out / url_of(manifest, "main.mjs")
    result = subprocess.run(["node", str(entry)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '["hi x","side","lazy"]'


def test_new_url_of_a_worker_is_rewritten_and_the_worker_runs_in_node(tree):
    files = {
        "js/main.mjs": """import { Worker } from 'node:worker_threads';
const url = new URL( "./work/worker.mjs" ,import.meta.url );
const worker = new Worker(new URL('./work/worker.mjs', import.meta.url));
worker.on('message', (m) => { console.log(url.pathname.split('/').pop(), m); worker.terminate(); });
""",
        "js/work/worker.mjs": "import { parentPort } from 'node:worker_threads';\n"
                              "parentPort.postMessage('hello from the worker');\n",
    }
    out, manifest, err = compile_tree(tree, files)
    assert err == ""
    import subprocess
    result = subprocess.run(["node", str(out / url_of(manifest, "js/main.mjs"))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    worker = url_of(manifest, "js/work/worker.mjs")
    assert result.stdout == f"{worker.split('/')[-1]} hello from the worker\n"
    assert output_text(out, manifest, "js/main.mjs").count(f"'./{worker[3:]}'") == 1


def test_new_url_only_with_a_string_literal_in_code(tree):
    files = {
        "app.mjs": """// new URL('./w.js', import.meta.url)
const s = "new URL('./w.js', import.meta.url)";
const t = new URL(`./w.js`, import.meta.url);
const u = x.new URL;
const v = new URL('./gone.js', import.meta.url);
const w = new URL("w.js", import.meta.url);
export { s, t, u, v, w };
""",
        "w.js": "postMessage(1);\n",
    }
    out, manifest, err = compile_tree(tree, files, "--no-minify")
    w = url_of(manifest, "w.js")
    assert output_text(out, manifest, "app.mjs") == files["app.mjs"].replace('"w.js"', f'"{w}"')
    assert err.splitlines() == [
        f"{out.parent / 'src' / 'app.mjs'}:5: warning: reference './gone.js' not found (left as "
        "written); no source file 'gone.js'"]


def test_a_kept_file_whose_source_map_is_missing_loses_the_comment_with_a_warning(tree):
    files = {
        "lib.min.js": "var b=2;\n//# sourceMappingURL=lib.min.js.map\n",
        "s.min.css": "a{color:red}\n/*# sourceMappingURL=maps/s.min.css.map */\n",
        "app.js": "var a = 1;\n\n//# sourceMappingURL=app.js.map\n",
        "other.min.js": "var c=3;\n//# sourceMappingURL=other.js.map\n",
        "other.js.map": '{"version":3}',
        "after-code.min.js": "var d=4//# sourceMappingURL=gone.map\n-1;\n",
    }
    out, manifest, err = compile_tree(tree, files)
    assert output_text(out, manifest, "lib.min.js") == "var b=2;\n"
    assert output_text(out, manifest, "s.min.css") == "a{color:red}\n"
    assert output_text(out, manifest, "other.min.js") == (
        f"var c=3;\n//# sourceMappingURL={url_of(manifest, 'other.js.map')}\n")
    assert output_text(out, manifest, "after-code.min.js") == "var d=4\n-1;\n"  # still 4 - 1
    src = out.parent / "src"
    assert sorted(err.splitlines()) == [
        f"{src / 'after-code.min.js'}:1: warning: source map 'gone.map' not found (its "
        "sourceMappingURL comment is removed); no source file 'gone.map'",
        f"{src / 'lib.min.js'}:2: warning: source map 'lib.min.js.map' not found (its "
        "sourceMappingURL comment is removed); no source file 'lib.min.js.map'",
        f"{src / 's.min.css'}:2: warning: source map 'maps/s.min.css.map' not found (its "
        "sourceMappingURL comment is removed); no source file 'maps/s.min.css.map'"]
    out, manifest, err = compile_tree(tree, files, "--no-minify")  # every file kept
    assert output_text(out, manifest, "app.js") == "var a = 1;\n\n"
    assert f"{src / 'app.js'}:3: warning: source map 'app.js.map' not found" in err


def test_missing_reference_warns_with_file_and_line(tree):
    css = ".a{color:red}\n\n.b{background:url(missing.png)}\n"
    out, manifest, err = compile_tree(tree, {"css/s.css": css})
    assert re.search(r"src/css/s\.css:3: warning: reference 'missing\.png' not found", err)
    assert "url(missing.png)" in output_text(out, manifest, "css/s.css")


def test_a_module_imported_without_its_suffix_gets_a_hint_naming_the_file(tree):
    out, manifest, err = compile_tree(tree, {
        "js/app.mjs": "import {a} from './util';\nimport {b} from './lib';\n"
                      "import {c} from './gone';\nconsole.log(a, b, c);\n",
        "js/util.js": "export const a = 1;\n", "js/lib/index.js": "export const b = 2;\n"})
    assert ("app.mjs:1: warning: reference './util' not found (left as written); 'js/util.js' "
            "exists, but browsers load a module by exactly the URL written: import './util.js'"
            in err)
    assert "app.mjs:2: warning: reference './lib' not found" in err and "import './lib/index.js'" in err
    assert "app.mjs:3: warning: reference './gone' not found (left as written); no source file 'js/gone'" in err


def test_missing_reference_is_an_error_with_strict(tree):
    base = tree({"src/s.css": ".b{background:url(missing.png)}"})
    proc = run_cli("compile", base / "src", "--out", base / "out", "--strict")
    assert proc.returncode == 1
    assert "s.css:1: error: reference 'missing.png' not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (base / "out" / "manifest.json").exists()


CYCLE_HINT = ("files that reference each other in a loop cannot all be fingerprinted (only "
              "ES modules may import each other); break the loop")


def test_stylesheet_cycle_names_every_file_and_line_before_the_rest_is_built(tree):
    # The loop's files are the largest, so they are read first; the 300 others come after
    # in batches of 64, and are never built: the loop is reported as soon as it closes.
    pad = "/*" + "x" * 4000 + "*/\n"
    files = {"src/a.css": pad + '@import "b.css";\n', "src/b.css": pad + ".b{}\n@import url(c.css);\n",
             "src/c.css": pad + '@import "a.css";\n',
             **{f"src/other/{i}.css": f".o{i}{{color:red}}" for i in range(300)}}
    base = tree(files)
    proc = run_cli("compile", base / "src", "--out", base / "out", "-j", "1")
    assert proc.returncode == 1
    assert proc.stderr == (f"{base / 'src' / 'a.css'}:2: error: reference cycle: a.css:2 -> b.css:3 "
                           f"-> c.css:2 -> a.css; {CYCLE_HINT}\n")
    assert len(list((base / "out").rglob("*.css"))) <= 64


def test_cycle_through_a_bundle_names_the_part_and_line(tree):
    base = tree({
        "pyproject.toml": '[tool.assetbuild]\nsources = ["src"]\nout = "out"\n'
                          '[tool.assetbuild.bundles]\n"all.css" = ["a.css", "b.css"]\n',
        "src/a.css": ".a{}\n", "src/b.css": '.b{}\n@import "c.css";\n', "src/c.css": '@import "all.css";\n',
    })
    proc = run_cli("compile", cwd=base)
    assert proc.returncode == 1
    assert proc.stderr == (f"{base / 'src' / 'b.css'}:2: error: reference cycle: all.css (b.css:2) "
                           f"-> c.css:1 -> all.css; {CYCLE_HINT}\n")


def test_reference_climbing_out_of_root_is_not_followed(tree):
    base = tree({"secret.png": b"SECRET", "src/s.css": ".a{background:url(../secret.png)}"})
    proc = run_cli("compile", base / "src", "--out", base / "out", check=True)
    assert "climbs out of the source root" in proc.stderr
    assert not any(p.read_bytes() == b"SECRET" for p in (base / "out").rglob("*") if p.is_file())


def test_absolute_reference_under_cdn_prefix(tree):
    css = ".a{background:url(https://cdn.example.com/static/img/a.png)}\n.b{background:url(/img/a.png)}"
    out, manifest, _ = compile_tree(tree, {"s.css": css, "img/a.png": PNG},
                                    "--url-prefix", "https://cdn.example.com/static/")
    text = output_text(out, manifest, "s.css")
    assert f"url(https://cdn.example.com/static/{url_of(manifest, 'img/a.png')})" in text
    assert "url(/img/a.png)" in text
