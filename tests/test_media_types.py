"""assetbuild.media_types: one answer, for the compiler, Flask and publish, to what a file is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from support.cli import run_cli

from assetbuild import bundle, transform
from assetbuild.flask import AssetBuild, file_headers
from assetbuild.manifest import Entry
from assetbuild.media_types import asset_kind, content_type
from assetbuild.publish import Target, plan_uploads


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


@pytest.mark.e2e
def test_flask_serves_every_file_of_a_release_with_the_type_publish_uploads(tmp_path: Path) -> None:
    static = tmp_path / "static"
    for name, text in {"css/site.css": "a { color: red }\n", "js/app.js": "var answer = 42;\n",
                       "js/main.mjs": "export const a = 1;\n", "data.json": "{}\n",
                       "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(text)
    release = tmp_path / "release"
    run_cli("compile", static, "--out", release, "--sourcemaps", "-q", check=True)
    assets, _ = plan_uploads(release, Target("bucket", ""))
    uploaded = {a.path: a.content_type for a in assets if a.content_encoding is None}
    source_map = json.loads((release / "manifest.json").read_text())["assets"]["js/app.js.map"]["path"]
    assert uploaded[source_map] == "application/json; charset=utf-8"
    app = Flask("site", root_path=str(tmp_path))
    app.config.update(ASSETBUILD_MANIFEST="release/manifest.json", TESTING=True)
    AssetBuild(app)
    client = app.test_client()
    served = {path: client.get("/static/" + path, headers={"Accept-Encoding": "identity"})
              .headers["Content-Type"] for path in uploaded}
    assert served == uploaded
