"""Minifying never changes what a script does: rjsmin's output is proven equal to its source
(assetbuild/jsproof.py) or the file ships as written, with a warning. The JS lexer and the
proof are checked against acorn, a real parser, in node (tests/thirdparty/js_oracle.mjs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from support.cli import read_manifest, run_cli, write_tree
from support.corpus import NODE_MODULES, SETUP, require_node

from assetbuild import cssproof, js, jsproof

ORACLE = Path(__file__).parent / "thirdparty" / "js_oracle.mjs"
FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def oracle(scripts: list[tuple[str, bool]]) -> list[dict]:
    """acorn's view of each (code, is_module): error, spans, tree."""
    if not (NODE_MODULES / "acorn").is_dir():
        pytest.skip(f"acorn is not installed ({NODE_MODULES / 'acorn'}): run {SETUP}")
    proc = subprocess.run([require_node(), ORACLE], capture_output=True, text=True, timeout=600,
                          input=json.dumps([{"code": c, "module": m} for c, m in scripts]),
                          env={"ORACLE_NODE_MODULES": str(NODE_MODULES), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def our_spans(text: str) -> list[list]:
    """The lexer's spans, named as the oracle names them (UTF-16 offsets, as in JS)."""
    units = _utf16_offsets(text)
    kinds = []
    for start, end in js.skeleton(text)[0]:
        if text.startswith(("//", "/*", "#!"), start):
            kind = "comment"
        elif text[start] in "'\"":
            kind = "string"
        elif text[start] == "/":
            kind = "regex"
        else:
            kind = "template"
        kinds.append([units[start], units[end], kind])
    return kinds


def _utf16_offsets(text: str) -> list[int]:
    offsets, pos = [], 0
    for ch in text:
        offsets.append(pos)
        pos += 2 if ord(ch) > 0xFFFF else 1
    offsets.append(pos)
    return offsets


# ---- the cases, through the real CLI and node --------------------------------------

CASES = {
    # class fields without semicolons: rjsmin joins '1' and '#b' on one line
    "fields.js": ("class Q {\n  #a = 1\n  #b = 2\n  sum() { return this.#a + this.#b }\n}\n"
                  "console.log(new Q().sum());\n"),
    # a regex right after '=>': rjsmin minifies it as code
    "arrow.js": ("const isSpace = (c) => /^[ ]$/.test(c);\n"
                 "const isImage = (t) => /^image\\//.test(t);\n"
                 "console.log(isSpace(' '), isImage('image/png'));\n"),
    # rjsmin's C build cuts the rest of the file after ')/ ... "///"'
    "cut.js": 'var a = 4; var u = (a) / 2, p = "file:///tmp/x"; console.log(u, p);\n',
    # a regex after the ')' of an if, after a comment, a division after '++' and a string
    "lexer.js": ("var a = 1, b = 2, i = 0, s = 'x';\n"
                 "if (a) /b/.test(s) && console.log('if-re');\n"
                 "for (;i<1;i++) /c/.test(s);\n"
                 "var d = i++ / 2 / b, e = a /* c */ / 2 / b, z = 'a' / 2, o = {return: 3};\n"
                 "var w = o.return / 1 / 3;\n"
                 "console.log(`${ /re/.source }`, d, e, z, w);\n"),
    # a private method after a block, on its own line (three.js's demuxer_mp4.js)
    "method.js": ("class M {\n  a() { return 1 }\n  #b() { return 2 }\n  c() { return this.#b() }\n}\n"
                  "console.log(new M().c());\n"),
    # nested templates (d3): rjsmin minifies the inner template's text
    "nested.js": "const f = (x) => `a ${x ? `b  ${x}  c` : ''} d`;\nconsole.log(f(1));\n",
}


def node_run(path: Path) -> str:
    proc = subprocess.run([require_node(), path], capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


@pytest.mark.e2e
def test_scripts_rjsmin_breaks_come_out_minified_and_working(tmp_path: Path):
    write_tree(tmp_path / "src", CASES)
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-gzip", "--no-brotli", check=True)
    assert "warning" not in proc.stderr, proc.stderr
    assets = read_manifest(out)["assets"]
    for name, source in CASES.items():
        compiled = out / assets[name]["path"]
        expected = node_run(tmp_path / "src" / name)
        assert "Error" not in expected, (name, expected)
        assert node_run(compiled) == expected, (name, compiled.read_text())
        assert len(compiled.read_text()) < len(source), name  # minified, not kept as written


@pytest.mark.e2e
def test_a_script_no_minified_form_can_be_proven_for_ships_as_written_with_a_warning(tmp_path: Path):
    # An HTML-like comment in code: minifying could turn it into code, so nothing is tried.
    source = "var a = 1;\nvar b = a <!-- b\n;\nconsole.log(a);\n"
    write_tree(tmp_path / "src", {"html.js": source})
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-gzip", "--no-brotli", check=True)
    assert f"{tmp_path / 'src' / 'html.js'}: warning: not minified: line 2 has an HTML-like comment" \
        in proc.stderr
    assets = read_manifest(out)["assets"]
    assert (out / assets["html.js"]["path"]).read_text() == source


# ---- the proof refuses what changes the code, whatever the minifier ----------------------

def proven(original: str, minified: str) -> bool:
    return jsproof.disproof(original, js.skeleton(original)[0],
                            minified, lambda: js.skeleton(minified)[0]) is None


@pytest.mark.parametrize("original, minified", [
    ("a - -b", "a--b"),                                  # two tokens become one
    ("a + +b", "a++b"),
    ("x = 1 .toString()", "x=1.toString()"),
    ("var a = b in \\u0063", "var a=b in\\u0063"),
    ("x = /re/ g", "x=/re/g"),                            # flags
    ("class Q {\n#a = 1\n#b = 2\n}", "class Q{#a=1#b=2}"),  # automatic semicolons
    ("a\n++b", "a++b"),
    ("a++\nb", "a++b"),
    ("return\nx", "return x"),
    ("x = a\n(b)", "x=a;(b)"),                            # a token added
    ("s = 'a  b'", "s='a b'"),                            # a string's text
    ("f = (c) => /^[ ]$/.test(c)", "f=(c)=>/^[]$/.test(c)"),  # a regex's text
    ("t = `a ${ `b  c` } d`", "t=`a ${`b c`} d`"),        # a nested template's text
    ("var u = (a) / 2, p = 'file:///x'; g(u)", "var u=(a)/ 2, p = 'file:/"),  # cut short
    ("x = 1; <!-- y\nz()", "x=1;<!--y z()"),
    # a template as written, but for white space inside it, or around it where it counts
    ("t = `a ${ b + c } d`", "t=`a ${ b + c }d`"),
    ("t = `a ${ b + c } d`", "t=`a${ b + c } d`"),
    ("t = `a ${ b\n++c } d`", "t=`a ${ b++c } d`"),
    ("t = `a ${ `b  c` } d`", "t=`a ${ `b c` } d`"),
    ("t = `a ${ b }`\n++c", "t=`a ${ b }`++c"),
    ("t = `a ${ b }` // c", ""),                         # nothing at all
    ("t = `a ${ b }`; x = typeof y", "t=`a ${ b }`;x=typeofy"),
    ("x = 1 /*! licence */", "x=1/*! lic"),               # cut short in a comment
    ("s = 'x z' /*! y */", "s='x/*! y */z'"),             # a kept comment moved into a string
    ("s = 'a\x04b'", "s='a b'"),                          # a string's control character
    ("/*\n*/// c\n", "/*\n*\n// c"),
])
def test_the_proof_refuses_changed_code(original, minified):
    assert not proven(original, minified)


@pytest.mark.parametrize("original, minified", [
    ("var a = b + c;\nvar d = e;", "var a=b+c;var d=e;"),
    ("x = a\n(b)", "x=a(b)"),                  # no semicolon was inserted: a call either way
    ("x = a\n.b\n.c()", "x=a.b.c()"),
    ("if (a) {\n  return\n}\n", "if(a){return}"),
    ("a = 1 // note\nb = 2", "a=1\nb=2"),
    ("a = 1 /* one\ntwo */ b = 2", "a=1\nb=2"),
    ("var s = 'a' +\n  'b';", "var s='a'+'b';"),
    ("f(a, /* x */ b)", "f(a,b)"),
    ("x = a - -b", "x=a- -b"),
    ("t = `a ${ b + c } d`;\nf( 1 )", "t=`a ${ b + c } d`;f(1)"),   # a template as written
    ("t = `a ${ `b ${ c }` } d`", "t=`a ${ `b ${ c }` } d`"),
    ("/*! lic */\nvar a = 1 /*! two */, b", "/*! lic */\nvar a=1/*! two */,b"),  # kept comments
])
def test_the_proof_accepts_what_only_drops_white_space_and_comments(original, minified):
    assert proven(original, minified)


def test_white_space_rjsmin_keeps_where_it_is_loose_is_dropped_where_it_counts_kept():
    # rjsmin keeps the line breaks around a lone + and before (; they go, and the shortest
    # text is proven. After return, the line break ends the statement: it stays.
    assert js.minify("var s = 'a'\n+ b;\nf()\n(g)") == "var s='a'\n+b;f()\n(g)"
    assert js.minify_proven("var s = 'a'\n+ b;\nf()\n(g)", js.skeleton("var s = 'a'\n+ b;\nf()\n(g)")) \
        == "var s='a'+b;f()(g)"
    text = "function f() {\n  return\n  -1\n}\nvar t = `x\n+y\n\n(z)`;"
    assert js.minify_proven(text, js.skeleton(text)) == "function f(){return\n-1}\nvar t=`x\n+y\n\n(z)`;"


# ---- against acorn: the lexer and the proof --------------------------------------------------

PIECES = [
    "a", "b", "x1", "return", "typeof", "in", "of", "if", "while", "for", "else", "do", "this",
    "(", ")", "[", "]", "{", "}", ";", ",", ".", "=", "=>", "+", "-", "++", "--", "*", "/", "!",
    "?", ":", "<", ">", " ", " ", "\n", "\t", "1", "2.5", ".5", "'s'", '"d"', "'a b'",
    "/re/", "/[/]/g", "/ x /", "`t`", "`a${b}c`", "`${`in`}`", "/* c */", "// c\n", "/*\n*/",
    "#p", "class", "x => x", "async", "new", "void", ";function* g() { yield /re/g; yield 1 / 2 };",
    "`a ${ b + c } d`", "`p\n+q\n\n(r)`", "`${ `x  ${ y }` }`", " `", "`", "/*! k */", "'\x04'",
]
# Not "yield" alone: outside a generator it is a name, and the lexer reads it as the keyword
# (a slash after it as a regex: the reading that keeps the proof strict).


@st.composite
def scripts(draw) -> str:
    """Token soup; acorn keeps the valid ones. HTML-like comments are left out: the lexer
    reads them as code, and a script with one is never minified."""
    text = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=24)))
    return text.replace("<!--", "< !--").replace("-->", "-- >")


@pytest.mark.e2e
@pytest.mark.slow  # hypothesis against acorn in node: 4-9 s of CPU
@FUZZ
@given(st.lists(scripts(), min_size=60, max_size=60))
def test_spans_match_acorn_on_generated_scripts(texts):
    judged = oracle([(t, False) for t in texts])
    valid = [(t, j) for t, j in zip(texts, judged) if j["error"] is None]
    assume(valid)
    for text, j in valid:
        assert our_spans(text) == j["spans"], text


MODULE_PIECES = PIECES + [
    "import", "export", "from", "default", "*", " as ", "'./a.js'", '"../b.mjs"', "{ x }",
    "import('./c.js')", "import.meta", "export { y } from './d.js';", "import e from './e.js';",
]


@st.composite
def modules(draw) -> str:
    text = "".join(draw(st.lists(st.sampled_from(MODULE_PIECES), min_size=1, max_size=24)))
    return text.replace("<!--", "< !--").replace("-->", "-- >")


@pytest.mark.e2e
@pytest.mark.slow  # hypothesis against acorn in node: 4-9 s of CPU
@FUZZ
@given(st.lists(modules(), min_size=60, max_size=60))
@example(["import e from './e.js';\nif (a) /x/.test(b); import('./c.js')"] * 60)
def test_module_specifiers_and_spans_match_acorn(texts):
    judged = oracle([(t, True) for t in texts])
    valid = [(t, j) for t, j in zip(texts, judged) if j["error"] is None]
    assume(valid)
    for text, j in valid:
        units = _utf16_offsets(text)
        found = [[units[r.start], units[r.end], r.url] for r in js.scan(text).refs if r.kind == "module"]
        assert found == [s for s in j["specifiers"]], text
        assert our_spans(text) == j["spans"], text


@pytest.mark.e2e
@pytest.mark.slow  # hypothesis against acorn in node: 4-9 s of CPU
@FUZZ
@given(st.lists(scripts(), min_size=60, max_size=60))
def test_a_proven_minified_script_has_the_source_s_syntax_tree(texts):
    judged = oracle([(t, False) for t in texts])
    valid = [t for t, j in zip(texts, judged) if j["error"] is None]
    assume(valid)
    minified = []
    for text in valid:
        try:
            minified.append(js.minify_proven(text, js.skeleton(text)))
        except js.Unminifiable:
            minified.append(text)
    for text, out, j, k in zip(valid, minified, oracle([(t, False) for t in valid]),
                               oracle([(m, False) for m in minified])):
        assert k["error"] is None, (text, out, k["error"])
        assert k["tree"] == j["tree"], (text, out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 16), st.sampled_from(["", " ", "\n", "+ ", "  ", "/*!*/"]),
                          st.booleans()), max_size=3)


def _edited(text: str, edits: list[tuple[int, str, bool]]) -> str:
    """*text* with, at each (position, piece, insert): *piece* put in, or in place of a char."""
    for pos, piece, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + piece + text[pos + (0 if insert else 1):]
    return text


@pytest.mark.e2e
@pytest.mark.slow  # hypothesis against acorn in node: 4-9 s of CPU
@FUZZ
@given(st.lists(st.tuples(scripts(), st.sampled_from(["source", "rjsmin", "shortest", "templates"]),
                          EDITS),
                min_size=60, max_size=60))
def test_the_proof_accepts_no_text_with_another_syntax_tree(cases):
    # Candidates near what the proof accepts (the source, rjsmin's output, the shortest text
    # of the shape, that text with templates as written), each with a few characters put
    # in, dropped or changed (or none): whatever the proof accepts has the source's tree.
    judged = oracle([(t, False) for t, _, _ in cases])
    accepted = []
    for (text, base, edits), j in zip(cases, judged):
        if j["error"] is not None or not text.strip():
            continue
        spans = js.skeleton(text)[0]
        try:
            shape = jsproof.shape(text, spans)
        except jsproof.Unprovable:
            continue
        templates = jsproof._with_templates_as_written(text, spans, shape)
        start = {"source": text, "rjsmin": js.minify(text, []), "shortest": jsproof.render(shape),
                 "templates": templates[1] if templates else None}[base]
        if start is None:
            continue
        candidate = _edited(start, edits)
        if jsproof.disproof(text, spans, candidate, lambda c=candidate: js.skeleton(c)[0]) is None:
            accepted.append((text, candidate, j["tree"]))
    assume(accepted)
    for (text, candidate, tree), k in zip(accepted, oracle([(c, False) for _, c, _ in accepted])):
        assert k["error"] is None and k["tree"] == tree, (text, candidate)


@pytest.mark.e2e
@pytest.mark.parametrize("text", [
    "if (a) /b/.test(s)", "while (x) /y/g.exec(s)", "for (;;) /z/;", "a++ / 2 / b",
    "x = a /* c */ / 2 / b", "x = 'a' / 2 / b", "o.return / 1 / 3", "x = y\n/z/g",
    "f(`${ /re/.source }`)", "x = (a) / 2, p = '///'", "for await (const x of y) /r/.test(x)",
    "x = a.if / 2 / b", "{} /re/.test(s)", "x = `a${b}` / 2 / c", "x = typeof /re/",
])
def test_lexer_cases_match_acorn(text):
    module = "await" in text
    j = oracle([(f"async function f() {{ {text} }}" if module else text, False)])[0]
    code = f"async function f() {{ {text} }}" if module else text
    assert j["error"] is None, j["error"]
    assert our_spans(code) == j["spans"]


@pytest.mark.e2e
@pytest.mark.slow
def test_spans_match_acorn_on_every_script_of_the_npm_corpus():
    if not NODE_MODULES.is_dir():
        pytest.skip(f"third-party corpus not installed: run {SETUP}")
    # Not the copies that differ from another folder by a wrapper only (ace's noconflict
    # builds, monaco's unminified dev/ build): they double the time and find nothing new.
    skipped = {"acorn", "src-noconflict", "src-min-noconflict", "dev"}
    files = sorted(p for p in NODE_MODULES.rglob("*") if p.suffix in (".js", ".mjs", ".cjs")
                   and p.is_file() and not skipped.intersection(p.parts))
    texts = []
    for path in files:
        try:
            texts.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    mismatched = []
    for start in range(0, len(texts), 200):
        batch = texts[start:start + 200]
        as_script = oracle([(t, False) for _, t in batch])
        retry = [i for i, j in enumerate(as_script) if j["error"] is not None]
        as_module = dict(zip(retry, oracle([(batch[i][1], True) for i in retry])))
        for i, (path, text) in enumerate(batch):
            j = as_module.get(i, as_script[i])
            if j["error"] is None and our_spans(text) != j["spans"]:
                mismatched.append(str(path.relative_to(NODE_MODULES)))
    assert len(texts) > 1000
    assert mismatched == []


# ---- stylesheets: rcssmin's output is proven too ------------------------------------------

@pytest.mark.e2e
def test_stylesheets_rcssmin_would_change_ship_as_written_with_a_warning(tmp_path: Path):
    sheets = {
        # rcssmin turns the comment into a space: a descendant combinator (.a .b) appears
        "comment.css": ".a/**/.b { color: red }\n",
        # in a nested rule rcssmin reads 'a :hover' as a declaration and drops the space
        "nested.css": ".x {\n  a :hover { color: red }\n}\n",
        "fine.css": "a { color : red ; }\n.b > .c , .d { margin : 0 auto !important ; }\n",
    }
    write_tree(tmp_path / "src", sheets)
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-gzip", "--no-brotli", check=True)
    assets = read_manifest(out)["assets"]
    for name in ("comment.css", "nested.css"):
        assert f"{tmp_path / 'src' / name}: warning: not minified: minifying would change the " \
               "stylesheet near" in proc.stderr
        assert (out / assets[name]["path"]).read_text() == sheets[name]
    assert "fine.css" not in proc.stderr
    assert (out / assets["fine.css"]["path"]).read_text() == "a{color:red}.b>.c,.d{margin:0 auto!important}"


@pytest.mark.parametrize("original, minified", [
    ("a :hover{}", "a:hover{}"), (".a .b{}", ".a.b{}"), ("a/**/b{}", "ab{}"),
    ("a{width:calc(1px + 2px)}", "a{width:calc(1px+2px)}"), ("a{content:'a b'}", "a{content:'ab'}"),
    ("@media (a) and (b){}", "@media (a)and(b){}"), (".a\\31 0{}", ".a\\310{}"),
    ("a{b:c d}", "a{b:cd}"), (".x{a :hover{b:c}}", ".x{a:hover{b:c}}"),
])
def test_the_css_proof_refuses_changed_stylesheets(original, minified):
    assert cssproof.disproof(original, minified) is not None


@pytest.mark.parametrize("original, minified", [
    ("a { color : red ; }", "a{color:red}"), ("a > b , c ~ d { x : y !important ; }",
                                              "a>b,c ~ d{x:y!important}"),
    ("/* c */ a { b: c }", "a{b:c}"), ("a{b:url( x.png ) no-repeat}", "a{b:url( x.png ) no-repeat}"),
    ("a{b:c;;}", "a{b:c}"),
])
def test_the_css_proof_accepts_dropped_white_space_and_comments(original, minified):
    assert cssproof.disproof(original, minified) is None
