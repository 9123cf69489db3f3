"""Property-based tests of the CSS and JS reference scanners and of the rewriting pipeline.

Two kinds of input: arbitrary text built from fragments that matter to the scanners
(quotes, comments, url(, import, backslashes, template literals...), which must never make
anything raise or change text outside references; and well-formed stylesheets and modules
built from a small grammar, on which the pipeline (scan, shield, minify) and a plain
"minify, then scan" must find the same references.

Set ASSETBUILD_FUZZ_EXAMPLES to run a longer campaign (default 300 examples per test).
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest
import rcssmin
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from support.cli import read_manifest, run_cli, write_tree

from assetbuild import css, js, refs
from assetbuild.refs import Placeholders, is_local
from assetbuild.transform import Options, prepare_text, process

pytestmark = pytest.mark.slow  # hypothesis campaigns of hundreds of examples each

EXAMPLES = int(os.environ.get("ASSETBUILD_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 300,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CSS_FRAGMENTS = [
    "url(", "url( ", "URL(", ")", "(", '"', "'", "\\", "\\\n", "/*", "*/", "/*!", "@import ",
    "@IMPORT", ";", "{", "}", "\n", "\r\n", " ", "\t", "image-set(", "-webkit-image-set(",
    "a.png", "../b.png", "/static/c.png", "d e.png", "%2e%2e/", "data:x,", "#x", "?v=1",
    "\\29", "\\2e", "\\", "é", "\x00", "\u2028", "😀", ",", ":", "a{b:", "2x",
    "/*# sourceMappingURL=a.css.map */", "sourceMappingURL=", "__abref0_", "__abref0_1__",
]
JS_FRAGMENTS = [
    "import ", "export ", "from ", '"./a.js"', "'./b.mjs'", '"', "'", "`", "${", "}", "{", "(",
    ")", "/", "//", "/*", "*/", "\n", "\r", " ", "\\", "x", "=", ";", ",", "*", "as ",
    "return ", ".", "?.", "import(", "import.meta", "[", "]", "1", "/re/g", "\u2028", "é",
    "\x00", "+", "<!--", "-->", "#priv", "@dec", "//# sourceMappingURL=a.js.map",
    "__abref0_", "__abref0_1__",
]


def noisy(fragments: list[str]) -> st.SearchStrategy[str]:
    """Text made of scanner-relevant fragments mixed with arbitrary characters."""
    return st.lists(st.one_of(st.sampled_from(fragments), st.text(max_size=4)),
                    max_size=48).map("".join)


# ---- grammar of well-formed input --------------------------------------------------------

PATHS = st.sampled_from([
    "a.png", "img/b.png", "../c.png", "./d.png", "/static/e.png", "f.png?v=1#frag",
    "my image.png", "%2e%2e/g.png", "https://cdn.example.com/My Font.woff2",
    "data:image/svg+xml;utf8,<svg width='1' height='1'/>", "#filter", "h.svg#icon",
])
UNQUOTED_PATHS = PATHS.filter(lambda p: not any(c in p for c in " '\"()"))
SPACE = st.sampled_from(["", " ", "  ", "\n", "\t"])
SAFE_TEXT = st.text(st.characters(blacklist_characters="*/\\\"'(){};@\r\x00",
                                  blacklist_categories=["Cs"]), max_size=12)


@st.composite
def css_url(draw) -> str:
    quote = draw(st.sampled_from(['"', "'", ""]))
    path = draw(UNQUOTED_PATHS if not quote else PATHS)
    if quote:
        path = path.replace(quote, "\\" + quote)
    return f"url({draw(SPACE)}{quote}{path}{quote}{draw(SPACE)})"


@st.composite
def css_rule(draw) -> str:
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return f"@import {draw(css_url())} screen;"
    if choice == 1:
        q = draw(st.sampled_from(['"', "'"]))
        return f"@import {q}{draw(PATHS).replace(q, '')}{q};"
    if choice == 2:
        q = draw(st.sampled_from(['"', "'"]))
        return (f".i{{background-image:image-set({q}{draw(PATHS).replace(q, '')}{q} 1x,"
                f"{draw(css_url())} 2x)}}")
    if choice == 3:
        return f"/* {draw(SAFE_TEXT)} url(not-a-ref.png) */"
    if choice == 4:
        return f'.c::before{{content:"url(not-a-ref.png) {draw(SAFE_TEXT)}"}}'
    if choice == 5:
        return f"@font-face{{src:{draw(css_url())} format(\"woff2\")}}"
    return f".r{draw(st.integers(0, 99))}{{{draw(SPACE)}background:{draw(css_url())}{draw(SPACE)}}}"


STYLESHEETS = st.lists(css_rule(), max_size=12).map("\n".join)

JS_SPECIFIERS = st.sampled_from(["./a.js", "../b/c.mjs", "/static/d.js", "./e f.js", "lodash",
                                 "https://esm.sh/x", "./g.js?v=1"])


@st.composite
def js_statement(draw) -> str:
    spec = draw(JS_SPECIFIERS)
    q = draw(st.sampled_from(['"', "'"]))
    s = f"{q}{spec}{q}"
    choice = draw(st.integers(0, 10))
    return [
        f"import x from {s};", f"import {{a as b, c}} from {s};", f"import * as ns from {s};",
        f"import {s};", f"export * from {s};", f"export {{x}} from {s};",
        f"const m = await import({s});",
        f"// import x from {s}", f"/* import {s} */", f"const t = `import ${{a}} from {s}`;",
        f"const r = /import {q}x{q}/g, d = a / b / c;",
    ][choice]


MODULES = st.lists(js_statement(), max_size=10).map("\n".join)


# ---- helpers ---------------------------------------------------------------------------

def scan(kind: str, text: str) -> list[refs.Ref]:
    return css.find_references(text) if kind == "css" else js.scan(text).refs


def check_spans(text: str, found: list[refs.Ref]) -> None:
    """References are in bounds, in order and never overlap."""
    end = 0
    for ref in sorted(found, key=lambda r: r.start):
        assert end <= ref.start <= ref.end <= len(text)
        end = ref.end


def restored(text: str, kind: str, minify: bool, values=None) -> str:
    """The pipeline's output for *text* with each local reference replaced by values(i)."""
    t = prepare_text("dir/file." + kind, kind, text, minify, "/static/", [], "file")
    new = t.raw if values is None else [values(i) for i in range(len(t.refs))]
    return Placeholders(t.placeholder_prefix).restore(t.body, new)


def replaced_spans(text: str, found: list[refs.Ref], values) -> str:
    out, pos = [], 0
    for i, ref in enumerate(found):
        out += [text[pos:ref.start], values(i)]
        pos = ref.end
    return "".join(out) + text[pos:]


def urls(kind: str, text: str, local_only: bool) -> list[tuple[str, str]]:
    return [(r.url.strip(), r.kind) for r in scan(kind, text)
            if not local_only or is_local(r.url, r.kind, "/static/")]


# ---- properties on arbitrary text -------------------------------------------------------

@FUZZ
@given(st.sampled_from(["css", "js"]), st.data())
def test_scanners_never_raise_and_spans_are_sane(kind, data):
    text = data.draw(noisy(CSS_FRAGMENTS if kind == "css" else JS_FRAGMENTS) | st.text())
    found = scan(kind, text)
    check_spans(text, found)
    for ref in found:
        raw = text[ref.start:ref.end]
        assert ref.url == (css.unescape(raw) if kind == "css" else raw)


@FUZZ
@given(st.sampled_from(["css", "js"]), st.data())
def test_identity_rewrite_returns_input_byte_for_byte(kind, data):
    text = data.draw(noisy(CSS_FRAGMENTS if kind == "css" else JS_FRAGMENTS))
    found = scan(kind, text)
    assert refs.rewrite(text, found, lambda r: text[r.start:r.end]) == text
    assert refs.rewrite(text, found, lambda r: None) == text
    assert restored(text, kind, minify=False) == text


@FUZZ
@given(st.sampled_from(["css", "js"]), st.data())
def test_rewriting_changes_only_reference_spans(kind, data):
    text = data.draw(noisy(CSS_FRAGMENTS if kind == "css" else JS_FRAGMENTS))
    local = [r for r in scan(kind, text) if is_local(r.url, r.kind, "/static/")]
    marker = "\ue000{}\ue001".format  # private-use characters the generators never produce
    expected = replaced_spans(text, local, marker)
    assert refs.rewrite(text, local, lambda r: marker(local.index(r))) == expected
    assert restored(text, kind, minify=False, values=marker) == expected


@FUZZ
@given(st.sampled_from(["css", "js"]), st.data())
def test_minifying_pipeline_never_raises_and_keeps_placeholders_consistent(kind, data):
    text = data.draw(noisy(CSS_FRAGMENTS if kind == "css" else JS_FRAGMENTS))
    t = prepare_text("dir/file." + kind, kind, text, True, "/static/", [], "file")
    holders = Placeholders(t.placeholder_prefix)
    assert holders.found(t.body) == set(range(len(t.refs)))
    assert t.raw == [text[r.start:r.end] for r in t.refs]
    assert all(is_local(r.url, r.kind, "/static/") for r in t.refs)


@settings(FUZZ, max_examples=max(EXAMPLES // 10, 30))
@given(st.binary(max_size=300), st.sampled_from(["a.css", "b.js", "c.mjs"]))
def test_worker_never_raises_on_arbitrary_bytes(tmp_path_factory, data, name):
    folder = tmp_path_factory.mktemp("fuzz")
    src = folder / name
    src.write_bytes(data)
    outcome = process(name, str(src), Options(out_dir=folder / "out", minify=True, gzip=True,
                                              brotli=False, hash_length=16))
    assert outcome.text is not None or outcome.written is not None


# ---- properties on well-formed input -----------------------------------------------------

def squeezed(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("".join(url.split()), kind) for url, kind in found]


@FUZZ
@given(STYLESHEETS)
@example('a{b:url("http://e.com/My Font.woff2")} c{d:url( "x y.png" )}')
def test_css_pipeline_and_minify_then_scan_agree(text):
    # Same references, same kinds, same order. rcssmin drops white space inside url("..."),
    # so a plain "minify, then scan" sees 'myimage.png' where the source says 'my image.png';
    # the pipeline never lets the minifier see URL text, so it keeps every URL as written.
    t = prepare_text("dir/file.css", "css", text, True, "/static/", [], "file")
    piped = [(r.url.strip(), r.kind) for r in t.refs]
    assert squeezed(piped) == squeezed(urls("css", rcssmin.cssmin(text, keep_bang_comments=True), True))
    assert piped == urls("css", text, True)
    assert urls("css", restored(text, "css", True), False) == urls("css", text, False)


@FUZZ
@given(MODULES)
def test_js_pipeline_and_minify_then_scan_agree(text):
    assert restored(text, "js", False) == text
    t = prepare_text("dir/file.mjs", "js", text, True, "/static/", [], "file")
    assert [(r.url, r.kind) for r in t.refs] == urls("js", js.minify(text), True)
    assert [u for u, _ in urls("js", restored(text, "js", True), False)] == \
        [u for u, k in urls("js", text, False) if k != "sourcemap"]


@pytest.mark.e2e
def test_minifier_keeps_spaces_in_remote_urls(tmp_path: Path):
    """rcssmin drops spaces inside url("..."); a URL that is not rewritten must survive."""
    write_tree(tmp_path, {"src/site.css": 'a{background:url("https://cdn.example.com/My Font.woff2")}'
                                          ' b{background:url( "my image.png" )}',
                          "src/my image.png": b"\x89PNG"})
    run_cli("compile", tmp_path / "src", "--out", tmp_path / "out", "-j", "1", check=True)
    entry = read_manifest(tmp_path / "out")["assets"]["site.css"]
    built = (tmp_path / "out" / entry["path"]).read_text()
    assert 'url("https://cdn.example.com/My Font.woff2")' in built
    assert 'url("my%20image.' in built


RELEASE_FILES = ["css/a.png", "css/img/b.png", "c.png", "css/d.png", "e.png", "css/f.png",
                 "css/my image.png", "g.png", "css/h.svg"]  # every local path in PATHS


@pytest.mark.e2e
@settings(FUZZ, max_examples=max(EXAMPLES // 30, 10))
@given(st.lists(css_rule(), min_size=1, max_size=6).map("\n".join))
def test_real_build_rewrites_every_local_reference_to_an_existing_file(tmp_path_factory, text):
    """The whole CLI on a generated stylesheet: every local reference in the release names
    a fingerprinted file that exists in the release."""
    base = tmp_path_factory.mktemp("build")
    files: dict[str, str | bytes] = {"static/css/site.css": text}
    files.update({"static/" + name: b"\x89PNG" + name.encode() for name in RELEASE_FILES})
    write_tree(base, files)
    out = base / "out"
    run_cli("compile", base / "static", "--out", out, "-j", "1", check=True)
    assets = read_manifest(out)["assets"]
    published = {entry["path"] for entry in assets.values()}
    built = (out / assets["css/site.css"]["path"]).read_text()
    for url, _kind in urls("css", built, True):
        path = refs.unquote(refs.split_suffix(url)[0])
        if path.startswith("/static/"):
            target = path[len("/static/"):]
        else:
            target = os.path.normpath(os.path.join("css", path)).replace(os.sep, "/")
        assert target in published, (url, built)


# Inputs the fuzz campaigns found that once raised; kept so they stay fixed.
CRASHERS = [("js", "import '\\"), ("js", 'import "\\'), ("js", "export * from '\\"),
            ("css", 'url("url( '), ("css", 'url("url(\\\n')]


@pytest.mark.e2e
@pytest.mark.parametrize("kind, text", CRASHERS)
def test_inputs_that_once_raised(kind, text, tmp_path: Path):
    check_spans(text, scan(kind, text))
    restored(text, kind, minify=True)
    write_tree(tmp_path, {f"src/a.{kind}": text})
    proc = run_cli("compile", tmp_path / "src", "--out", tmp_path / "out", "-j", "1")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


SEGMENT = st.sampled_from(["a", "b", "css", "img", "x.y", "é", "a b", "%", "..a", ".b"])


@FUZZ
@given(st.lists(SEGMENT, min_size=1, max_size=5), st.lists(SEGMENT, min_size=1, max_size=5))
def test_relative_urls_agree_with_relpath(target, referrer):
    target, referrer = "/".join(target), "/".join(referrer)
    assume(not referrer.startswith(target + "/"))  # a file cannot also be a folder
    expected = posixpath.relpath("/" + target, "/" + posixpath.dirname(referrer))
    assert refs.relative_url(target, referrer) == refs.encode_path(expected)


def _minify_on_own(text: str) -> str | None:
    """The pipeline's script minifying, with the walk and the proof done on the protected
    body itself rather than shared with the scan: the result to match."""
    found = js.scan(text).refs
    holders = Placeholders.for_text(text)
    body = holders.protect(text, found)
    try:
        return js.minify_proven(body, js.skeleton(body))
    except js.Unminifiable:
        return None


@FUZZ
@given(st.one_of(noisy(JS_FRAGMENTS), MODULES))
@example("`${`a`}` + x\nimport('./a.js')")
@example("let s = `${ import('./a.js') + `${b}` }`; 1 .toString()")
def test_shared_walk_minifies_as_a_walk_of_its_own(text):
    # The scan, the minifier's safety pass and its proof share one walk over the text; the
    # edits it gives are moved past the placeholders. The result is what a walk of the body
    # gives.
    diagnostics: list = []
    t = prepare_text("dir/file.js", "js", text, True, "/static/", diagnostics, "file")
    expected = _minify_on_own(text)
    if expected is None:
        assert any("not minified" in d.message for d in diagnostics)
    else:
        holders = Placeholders(t.placeholder_prefix)
        got = holders.restore(t.body, [text[r.start:r.end] for r in t.refs])
        assert Placeholders.for_text(text).restore(expected, [
            text[r.start:r.end] for r in js.scan(text).refs]) == got


def test_placeholder_prefixes_avoid_the_text_and_each_other():
    text = "__abref0_ and __abjs0_ __abjs1_"
    assert Placeholders.for_text(text).prefix == "__abref1_"
    assert Placeholders.for_text(text, "abjs").prefix == "__abjs2_"
    holders = Placeholders.for_text(text, "abjs")
    assert holders.restore(holders.token(0) + " " + text, ["x"]) == "x " + text
