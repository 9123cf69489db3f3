"""The scanners' fast paths must find exactly what the plain definitions find.

Each fast path (keyword search with str.find, the skeleton cut short after the last
keyword, CSS no-op skipping, the minify pre-checks, line numbers counted on demand) is
checked against the simple regex or loop it stands for, on hand-picked edge cases and on
generated text, and the CommonJS cases end to end through the real CLI.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import read_manifest, run_cli, write_tree

from assetbuild import css, js
from assetbuild.refs import LineIndex

pytestmark = pytest.mark.slow  # hypothesis campaigns against the slow paths

FUZZ = settings(max_examples=400, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

# The definitions the fast paths replace.
KEYWORD = re.compile(r"(?<![\w$.\u0080-\U0010ffff])(?:import|export)(?![\w$\u0080-\U0010ffff])")
ESCAPE = r"\\u(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})"
SPACED_DOT = re.compile(r"(?<![\w$.])[0-9_]*[0-9][ \t\n\r]+\.(?![0-9])")

JS_PIECES = [
    "import", "export", "exports", "imported", "$", "_", ".", "?.", "é", "\u2028", "\\u0069",
    "\\u{69}", "}", "{", "(", ")", "'", '"', "`", "${", "/", "//", "/*", "*/", "\n", "\r",
    " ", "\t", "\xa0", "1", "1 .", "x", "=", "return ", "from ", "'./a.js'", "\\", "<!--",
    "-->", "//# sourceMappingURL=a.map", "sourceMappingURL", "module.exports = ",
]
CSS_PIECES = [
    "url(", "URL(", "u\\rl(", "a.png", " ", "\n", "'", '"', "\\", "(", ")", ";", "{", "}",
    "@import", "@IMPORT", "@import-x", "@media", "@", "-", "--x", "/*", "*/", "/", "*",
    "/*# sourceMappingURL=a.map */", "/* x sourceMappingURL=b.map */", "s", "image-set(",
    "-webkit-image-set(", "x", "1", "é", "\u0130mport", "\u017fourceMappingURL", "foo(", ",",
]


def pieces(alphabet: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(alphabet), st.text(max_size=3)),
                    max_size=40).map("".join)


def module_urls(text: str) -> list[str]:
    return [r.url for r in js.scan(text).refs if r.kind == "module"]


# ---- JS: which import/export words count -------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("export * from './a.js'", ["./a.js"]),  # at the very start of the file
    ("import /* why */ './a.js'", ["./a.js"]),  # a comment: the first reading leaves it open
    ("export {a} // b\nfrom './b.js'", ["./b.js"]),
    ("x = {}\n}export * from './a.js'", ["./a.js"]),  # right after a brace
    ("module.exports = 1\nimport('./a.js')", ["./a.js"]),  # CommonJS with a dynamic import
    ("module.exports = \"import x from './y.js'\"", []),  # only in a string
    ("exports.x = 1\n// import x from './c.js'\nexport { x } from './m.js'", ["./m.js"]),
    ("const imported = 1, exported = 2; exports.a = imported", []),
    ("$import('./a.js'); _export('./b.js'); éimport('./c.js'); x.import('./d.js')", []),
    ("a\\u0024import('./a.js')", []),  # an escape ending in a digit continues the name
    ("\\u{69}mport('./a.js')", []),  # an escaped keyword is no keyword
    ("x;\timport('./a.js')", ["./a.js"]),
])
def test_keyword_edge_cases(text, expected):
    assert module_urls(text) == expected
    assert js._keyword_offsets(text) == [m.start() for m in KEYWORD.finditer(text)]


@FUZZ
@given(pieces(JS_PIECES))
def test_keyword_search_matches_the_regex_it_replaces(text):
    assert js._keyword_offsets(text) == [m.start() for m in KEYWORD.finditer(text)]


@FUZZ
@given(pieces(JS_PIECES), st.integers(min_value=-1, max_value=60))
def test_skeleton_cut_short_is_the_start_of_the_whole_one(text, stop):
    spans, comments = js._skeleton(text)
    short_spans, short_comments = js._skeleton(text, stop)
    assert short_spans == [s for s in spans if s[0] <= stop]
    assert short_comments == [c for c in comments if c[0] <= stop]


def full_walk_scan(text: str) -> tuple[list[tuple], bool]:
    """The definition scan() stands for: walk the whole text, read every keyword in code."""
    spans, comments = js._skeleton(text)
    refs, is_module = [], False
    for start, end in comments:
        sm = js._SOURCEMAP.search(text, start, end)
        if sm:
            refs.append((sm.start(1), sm.group(1), "sourcemap"))
    for kw in js._keyword_offsets(text):
        if not js._in_spans(spans, kw):
            spec, module = js._specifier(text[kw:kw + 6], js._tokens_from(text, kw + 6))
            is_module = is_module or module
            if spec is not None:
                refs.append((spec.start() + 1, text[spec.start() + 1:spec.end() - 1], "module"))
    return sorted(refs), is_module


MODULE_PIECES = JS_PIECES + ["export { a }", "export {a, b} from './b.js'", "export const x",
                             "import.meta", "import {", "} from", "export *", " as ns", ";"]


@FUZZ
@given(pieces(MODULE_PIECES))
def test_scan_reading_keywords_first_finds_what_the_whole_walk_finds(text):
    found = js.scan(text)
    assert (sorted((r.start, r.url, r.kind) for r in found.refs), found.is_module) == full_walk_scan(text)


@pytest.mark.parametrize("text, is_module", [
    ("import a from './a.js'\n" + "x = '`'\n" * 50 + "export { a }\n", True),
    ("'export const x'\n/* import.meta */\nexport default 1", True),  # walks on twice
    ("'export const x'\n/* import.meta */\n", False),
    ("/* export { a } from '" + "x" * 300 + "' */ export const y = 1", True),  # cut at a comment
])
def test_module_status_needs_one_keyword_in_code(text, is_module):
    assert js.scan(text).is_module is is_module
    assert full_walk_scan(text)[1] is is_module


def test_keywords_inside_one_long_comment_stay_linear():
    text = "/*" + "export {a," * 200_000 + "*/ export const x = 1"
    assert js.scan(text).is_module is True  # the reading budget runs out; still correct


def test_source_map_after_the_last_keyword_is_found_with_lines():
    text = "import a from './a.js'\n\nexport { a }\n'//# sourceMappingURL=no.map'\n" \
           "//# sourceMappingURL=m.js.map\n"
    found = [(r.url, r.kind, r.line) for r in js.scan(text).refs]
    assert found == [("./a.js", "module", 1), ("m.js.map", "sourcemap", 5)]


@pytest.mark.e2e
def test_commonjs_file_is_copied_untouched_and_a_module_after_exports_is_rewritten(tmp_path):
    cjs = ("module.exports = function () {\n  return \"import x from './y.js'\";\n};\n"
           "exports.note = 'export * from \"./y.js\"';\n")
    mixed = "exports.a = 1;\nexport * from './y.js';\n"
    write_tree(tmp_path, {"src/cjs.js": cjs, "src/mixed.js": mixed, "src/y.js": "export const y = 1;\n"})
    out = tmp_path / "out"
    proc = run_cli("compile", tmp_path / "src", "--out", out, "--no-gzip", "--no-brotli",
                   "--no-minify", check=True)
    assets = read_manifest(out)["assets"]
    assert (out / assets["cjs.js"]["path"]).read_text(encoding="utf-8") == cjs
    rewritten = (out / assets["mixed.js"]["path"]).read_text(encoding="utf-8")
    assert f"from './{assets['y.js']['path']}'" in rewritten
    assert "warning" not in proc.stderr.lower()


# ---- JS: the spans rjsmin gets wrong ----------------------------------------------------

@FUZZ
@given(pieces(JS_PIECES))
def test_spaced_dots_match_their_definition(text):
    assert list(js._spaced_dots(text)) == [(m.start(), m.end() - 1) for m in SPACED_DOT.finditer(text)]


@pytest.mark.parametrize("text, kept", [
    ("x = 1 .toString()", "1 .toString()"),  # '1.toString()' is a syntax error
    ("f(2\n\t .x)", "2\n\t .x"),
    ("var a = b in \\u0063;", "in \\u0063"),  # 'in\\u0063' is one name
    ("var a = typeof \\u{63};", "typeof \\u{63}"),
])
def test_minify_keeps_the_spaces_rjsmin_would_drop(text, kept):
    assert kept in js.minify_proven(text, js.skeleton(text))


# ---- CSS: no-op skipping -----------------------------------------------------------------

@FUZZ
@given(pieces(CSS_PIECES))
def test_css_skipping_finds_what_one_token_at_a_time_finds(text):
    fast = css.find_references(text)
    with pytest.MonkeyPatch.context() as mp:
        never = re.compile("")
        mp.setattr(css, "_SKIP", never)
        mp.setattr(css, "_SKIP_WHEN_IDLE", never)
        mp.setattr(css, "_may_have_references", lambda t: css._HINTS.search(t) is not None)
        assert css.find_references(text) == fast


@pytest.mark.parametrize("text, expected", [
    ("/* a sourceMappingURL=x */ /*# sourceMappingURL=a.css.map */", ["a.css.map"]),
    ("a{} /* note /*# sourceMappingURL=b.css.map */", ["b.css.map"]),
    ("@IMPORT 'c.css'; @import-x 'no.css'; @media x { b { c: url(d.png) } }", ["c.css", "d.png"]),
    ("x{a:foo(url(e.png)) 'url(no.png)' -webkit-image-set('f.png' 1x)}", ["e.png", "f.png"]),
])
def test_css_edge_cases(text, expected):
    assert [r.url for r in css.find_references(text)] == expected


# ---- line numbers ------------------------------------------------------------------------

@FUZZ
@given(st.text(alphabet="ab\n\r", max_size=40), st.lists(st.integers(0, 40), max_size=8))
def test_line_numbers_in_any_order_of_asking(text, offsets):
    lines = LineIndex(text)
    for offset in offsets:
        offset = min(offset, len(text))
        assert lines.line(offset) == text.count("\n", 0, offset) + 1
