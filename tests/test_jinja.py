"""assetbuild.jinja: the extension's globals in real Jinja2 templates."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from jinja2 import Environment
from support.nofiles import no_file_access
from support.release import SAMPLE, paths, sample_release, sri

from assetbuild import runtime
from assetbuild.manifest import ManifestError
from assetbuild.runtime import AssetNotFound, Assets

TEMPLATE = """\
{{ importmap() }}
{{ asset_tag("css/site.css") }}
{{ asset_tag("js/app.js", defer=True) }}
<img src="{{ asset_url('img/logo.png') }}" data-sri="{{ asset_integrity('img/logo.png') }}">"""


@pytest.fixture(autouse=True)
def no_default():
    runtime.set_default(None)
    yield
    runtime.set_default(None)


def test_globals_render_fingerprinted_urls_and_tags(tmp_path: Path) -> None:
    sample_release(tmp_path)
    env = Environment(autoescape=True)
    env.assetbuild = Assets.load(tmp_path, environ={})
    env.add_extension("assetbuild.jinja.AssetExtension")
    html = env.from_string(TEMPLATE).render()
    p = paths(tmp_path)
    lines = html.splitlines()
    assert lines[1:] == [
        f'<link rel="stylesheet" href="/static/{p["css/site.css"]}" '
        f'integrity="{sri(SAMPLE["css/site.css"])}" crossorigin="anonymous">',
        f'<script src="/static/{p["js/app.js"]}" integrity="{sri(SAMPLE["js/app.js"])}" '
        'crossorigin="anonymous" defer></script>',
        f'<img src="/static/{p["img/logo.png"]}" data-sri="{sri(SAMPLE["img/logo.png"])}">']
    body = html.split('<script type="importmap">', 1)[1].split("</script>", 1)[0]
    assert json.loads(body)["imports"]["js/modules/util.js"] == "/static/" + p["js/modules/util.js"]


def test_release_from_the_environment_variable(tmp_path: Path, monkeypatch) -> None:
    sample_release(tmp_path)
    monkeypatch.setenv("ASSETBUILD_MANIFEST", str(tmp_path / "manifest.json"))
    monkeypatch.setenv("ASSETBUILD_URL_PREFIX", "https://cdn.example.com/app")
    env = Environment(extensions=["assetbuild.jinja.AssetExtension"])
    url = env.from_string("{{ asset_url('js/app.js') }}").render()
    assert url == "https://cdn.example.com/app/" + paths(tmp_path)["js/app.js"]


def test_missing_manifest_fails_when_the_environment_is_created(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSETBUILD_MANIFEST", str(tmp_path / "manifest.json"))
    with pytest.raises(ManifestError, match="manifest.json: manifest not found"):
        Environment(extensions=["assetbuild.jinja.AssetExtension"])


def test_no_release_configured_says_what_to_set(monkeypatch) -> None:
    monkeypatch.delenv("ASSETBUILD_MANIFEST", raising=False)
    env = Environment(extensions=["assetbuild.jinja.AssetExtension"])
    with pytest.raises(ManifestError, match="set ASSETBUILD_MANIFEST"):
        env.from_string("{{ asset_url('a.css') }}").render()


def test_unknown_name_raises_while_rendering(tmp_path: Path) -> None:
    sample_release(tmp_path)
    runtime.set_default(Assets.load(tmp_path, environ={}))
    env = Environment(extensions=["assetbuild.jinja.AssetExtension"])
    with pytest.raises(AssetNotFound, match="'css/sites.css' is not in .*did you mean 'css/site.css'"):
        env.from_string("{{ asset_url('css/sites.css') }}").render()


def test_rendering_touches_no_file(tmp_path: Path) -> None:
    sample_release(tmp_path)
    env = Environment(autoescape=True)
    env.assetbuild = Assets.load(tmp_path, environ={})
    env.add_extension("assetbuild.jinja.AssetExtension")
    template = env.from_string(TEMPLATE)
    with no_file_access():
        assert "integrity=" in template.render()


def test_warn_mode_renders_the_unfingerprinted_url_and_logs_once(tmp_path: Path, caplog) -> None:
    sample_release(tmp_path)
    env = Environment(autoescape=True)
    env.assetbuild = Assets.load(tmp_path, environ={}, missing="warn")
    env.add_extension("assetbuild.jinja.AssetExtension")
    template = env.from_string(
        "{{ asset_tag('js/ap.js', defer=True) }}|{{ asset_url('js/ap.js') }}|{{ asset_integrity('js/ap.js') }}")
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        assert template.render() == template.render() == (
            '<script src="/static/js/ap.js" crossorigin="anonymous" defer></script>|/static/js/ap.js|')
    assert [r.getMessage() for r in caplog.records] == [
        f"asset 'js/ap.js' is not in {tmp_path / 'manifest.json'}; did you mean 'js/app.js'?"]

