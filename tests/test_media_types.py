"""assetbuild.media_types: one answer, for the compiler, Flask and publish, to what a file is."""

from __future__ import annotations

import pytest

from assetbuild import bundle, transform
from assetbuild.flask import file_headers
from assetbuild.manifest import Entry
from assetbuild.media_types import asset_kind, content_type


@pytest.mark.parametrize("name, kind", [
    ("css/site.css", "css"), ("CSS/SITE.CSS", "css"), ("js/app.js", "js"), ("a.mjs", "js"),
    ("lib/x.CJS", "js"), ("a.css.map", None), ("img/a.png", None), ("js/.js", None),
    ("noext", None), ("a.jsx", None),
])
def test_kinds_of_files(name: str, kind: str | None) -> None:
    assert asset_kind(name) == kind
    assert transform.kind_of(name) == (kind or "binary")


def test_bundles_take_their_kind_from_the_same_place() -> None:
    bundles, problems = bundle.plan({"all.JS": ["*.mjs", "*.cjs"], "all.css": ["*.css"]},
                                    ["a.mjs", "b.cjs", "c.css"], "pyproject.toml")
    assert problems == []
    assert [(b.name, b.kind, b.parts) for b in bundles] == [
        ("all.JS", "js", ("a.mjs", "b.cjs")), ("all.css", "css", ("c.css",))]


@pytest.mark.parametrize("name, value", [
    ("js/app.1f3a9c0d2b7e4a55.js.map", "application/json; charset=utf-8"),
    ("css/site.1f3a9c0d2b7e4a55.css", "text/css; charset=utf-8"),
    ("js/main.mjs", "text/javascript; charset=utf-8"),
    ("manifest.json", "application/json; charset=utf-8"),
    ("img/logo.SVG", "image/svg+xml; charset=utf-8"),
    ("fonts/a.woff2", "font/woff2"),
    ("data.unknownext", "application/octet-stream"),
])
def test_flask_serves_with_the_type_publish_uploads_with(name: str, value: str) -> None:
    assert content_type(name) == value
    entry = Entry(path=name, size=1, integrity="sha384-x", encodings={})
    assert file_headers(name, entry, None)["Content-Type"] == value
