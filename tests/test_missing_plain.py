"""ASSETBUILD_MISSING = "plain" (like Django's manifest_strict = False) in real Flask and
Jinja2: an unknown name is logged once and gets its plain URL, in production too. Django's
side is in test_django.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from jinja2 import Environment
from support.release import paths, sample_release

from assetbuild import runtime
from assetbuild.flask import AssetBuild


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("ASSETBUILD_MANIFEST", "ASSETBUILD_URL_PREFIX", "ASSETBUILD_MISSING"):
        monkeypatch.delenv(name, raising=False)
    runtime.set_default(None)
    yield
    runtime.set_default(None)


TEMPLATE = ("{{ asset_tag('css/sight.css') }}|{{ asset_url('img/nope.svg#icon') }}|"
            "{{ asset_integrity('css/sight.css') }}|{{ asset_url('css/site.css') }}")


def expected(release: Path) -> str:
    return ('<link rel="stylesheet" href="/static/css/sight.css" crossorigin="anonymous">|'
            f"/static/img/nope.svg#icon||/static/{paths(release)['css/site.css']}")


def logged(release: Path) -> list[str]:
    manifest = release / "manifest.json"
    return [f"asset 'css/sight.css' is not in {manifest}; did you mean 'css/site.css'?",
            f"asset 'img/nope.svg' is not in {manifest}"]


def test_flask_in_production_renders_plain_urls(tmp_path: Path, caplog) -> None:
    release = tmp_path / "release"
    sample_release(release)
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(ASSETBUILD_MANIFEST="release/manifest.json", ASSETBUILD_MISSING="plain")
    AssetBuild(app)
    assert not app.debug
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        with app.test_request_context():
            first, second = render_template_string(TEMPLATE), render_template_string(TEMPLATE)
    assert first == second == expected(release)
    assert [r.getMessage() for r in caplog.records] == logged(release)


def test_jinja2_from_the_environment_variable(tmp_path: Path, caplog, monkeypatch) -> None:
    sample_release(tmp_path)
    monkeypatch.setenv("ASSETBUILD_MANIFEST", str(tmp_path))
    monkeypatch.setenv("ASSETBUILD_MISSING", "plain")
    env = Environment(autoescape=True, extensions=["assetbuild.jinja.AssetExtension"])
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        html = env.from_string(TEMPLATE).render()
        assert env.from_string(TEMPLATE).render() == html
    assert html == expected(tmp_path)
    assert [r.getMessage() for r in caplog.records] == logged(tmp_path)

