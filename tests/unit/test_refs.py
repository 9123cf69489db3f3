"""Unit tests of assetbuild.refs: which URLs are local, what they resolve to, how they are
written back, and the placeholders that shield them from the minifiers."""

from __future__ import annotations

import pickle
import posixpath
import random

import pytest

from assetbuild import refs
from assetbuild.refs import LineIndex, Placeholders, Ref


@pytest.mark.parametrize("url, expected", [
    ("img/a.png", ("img/a.png", "")),
    ("img/a.png?v=1#x", ("img/a.png", "?v=1#x")),
    ("font.svg#icon?x", ("font.svg", "#icon?x")),
    ("?only", ("", "?only")),
])
def test_split_suffix(url, expected):
    assert refs.split_suffix(url) == expected


@pytest.mark.parametrize("url, kind, prefix, local", [
    ("img/a.png", "url", "/", True),
    ("  ../a.png ", "url", "/", True),
    ("/static/a.png", "url", "/static/", True),
    ("data:image/png;base64,xx", "url", "/", False),
    ("https://cdn.example.com/a.png", "url", "/", False),
    ("https://cdn.example.com/s/a.png", "url", "https://cdn.example.com/s/", True),
    ("//cdn.example.com/a.png", "url", "/", False),
    ("#frag", "url", "/", False),
    ("", "url", "/", False),
    ("lodash-es", "module", "/", False),  # bare specifier: for an import map
    ("./util.js", "module", "/", True),
    ("../util.js", "module", "/", True),
    ("util.js", "url", "/", True),
])
def test_is_local(url, kind, prefix, local):
    assert refs.is_local(url, kind, prefix) is local


@pytest.mark.parametrize("url, referrer, prefix, expected", [
    ("../img/a.png?v=2", "css/site.css", "/", ("img/a.png", None)),
    ("./b.css", "css/site.css", "/", ("css/b.css", None)),
    ("my%20logo.png", "css/site.css", "/", ("css/my logo.png", None)),
    ("/static/img/a.png", "css/site.css", "/static/", ("img/a.png", None)),
    ("/elsewhere/a.png", "css/site.css", "/static/", (None, None)),
    ("/img/a.png", "css/site.css", "https://cdn.example.com/", (None, None)),
    ("../../a.png", "css/site.css", "/", (None, "it climbs out of the source root")),
    ("..", "site.css", "/", (None, "it climbs out of the source root")),
    ("img\\a.png", "site.css", "/", (None, "the path contains a backslash or a NUL byte")),
    ("a%00.png", "site.css", "/", (None, "the path contains a backslash or a NUL byte")),
    ("?v=1", "site.css", "/", (None, None)),
])
def test_resolve(url, referrer, prefix, expected):
    assert refs.resolve(url, referrer, prefix) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://cdn.example.com/s/img/a%20b.png?v=1", "img/a b.png"),
    ("https://cdn.example.com/s/../x.png", None),
    ("https://cdn.example.com/s/", None),
    ("https://other.example.com/s/a.png", None),
])
def test_resolve_absolute_url(url, expected):
    assert refs.resolve_absolute_url(url, "https://cdn.example.com/s/") == expected
    assert refs.resolve_absolute_url(url, "/s/") is None


def test_relative_url_agrees_with_posixpath_relpath():
    rng = random.Random(7)
    folders = ["a", "b", "a/b", "a/c", "a/b/c", "x/y/z"]
    for _ in range(2000):
        target = posixpath.join(rng.choice(folders + [""]), "t.1234.css")
        referrer = posixpath.join(rng.choice(folders + [""]), "r.css")
        expected = posixpath.relpath(target, posixpath.dirname(referrer) or ".")
        assert refs.relative_url(target, referrer) == expected, (target, referrer)


def test_relative_url_percent_encodes_what_a_url_cannot_hold():
    assert refs.relative_url("img/my logo#1.png", "css/site.css") == "../img/my%20logo%231.png"


@pytest.mark.parametrize("url, kind, expected", [
    ("../img/a.png?v=1#x", "url", "../img/a.1234.png?v=1#x"),
    ("./a.js", "module", "./a.1234.js"),
    ("a.js", "module", "./a.1234.js"),  # a module specifier must stay relative
    ("a.js", "url", "a.1234.js"),
    ("/static/css/a.js", "url", "/static/css/a.1234.js"),
])
def test_new_url_keeps_the_form_and_the_suffix(url, kind, expected):
    target = "img/a.1234.png" if "img" in url else "css/a.1234.js"
    ref = Ref(0, len(url), url, kind, 1)
    assert refs.new_url(ref, target, "css/site.css", "/static/") == expected


def test_new_url_of_a_full_url_uses_the_prefix():
    url = "https://cdn.example.com/s/img/a.png"
    ref = Ref(0, len(url), url, "url", 1)
    assert refs.new_url(ref, "img/a.1234.png", "css/site.css", "https://cdn.example.com/s/") \
        == "https://cdn.example.com/s/img/a.1234.png"


def test_rewrite_replaces_spans_in_any_order_and_keeps_those_it_is_told_to():
    text = "a{b:url(x.png)} c{d:url(y.png)} e{f:url(z.png)}"
    found = [Ref(text.index(u), text.index(u) + len(u), u, "url", 1) for u in ("z.png", "x.png", "y.png")]
    out = refs.rewrite(text, found, lambda r: None if r.url == "y.png" else r.url.upper())
    assert out == "a{b:url(X.PNG)} c{d:url(y.png)} e{f:url(Z.PNG)}"


def test_placeholders_round_trip_and_avoid_text_that_looks_like_them():
    text = "/* __abref0_ */ a{b:url(x.png)}"
    found = [Ref(text.index("x.png"), text.index("x.png") + 5, "x.png", "url", 1)]
    holders = Placeholders.for_text(text)
    assert holders.prefix == "__abref1_"
    protected = holders.protect(text, found)
    assert protected == "/* __abref0_ */ a{b:url(__abref1_0__)}"
    assert holders.found(protected) == {0}
    assert holders.restore(protected, ["x.1234.png"]) == "/* __abref0_ */ a{b:url(x.1234.png)}"


def test_line_index_counts_lines_in_any_order():
    text = "a\nb\n\nc\nd"
    index = LineIndex(text)
    offsets = [text.index(ch) for ch in "abcd"]
    assert [index.line(o) for o in offsets] == [1, 2, 4, 5]
    assert [index.line(o) for o in reversed(offsets)] == [5, 4, 2, 1]


def test_a_ref_pickles_to_an_equal_ref():
    ref = Ref(3, 9, "a.png", "url", 2)
    assert pickle.loads(pickle.dumps(ref)) == ref
