"""assetbuild.flask: a real Flask app using a release through AssetBuild(app)."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest
from flask import Flask, render_template_string, url_for
from support.cli import flask_cli
from support.nofiles import no_file_access
from support.release import SAMPLE, paths, sample_release, sri

from assetbuild import runtime
from assetbuild.flask import AssetBuild, assets_of
from assetbuild.manifest import ManifestError
from assetbuild.runtime import AssetNotFound


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("ASSETBUILD_MANIFEST", raising=False)
    monkeypatch.delenv("ASSETBUILD_URL_PREFIX", raising=False)
    monkeypatch.delenv("ASSETBUILD_MISSING", raising=False)
    runtime.set_default(None)
    yield
    runtime.set_default(None)


def make_app(release: Path, **config) -> Flask:
    app = Flask(__name__, root_path=str(release.parent))
    app.config.update(ASSETBUILD_MANIFEST=release.name + "/manifest.json", **config)
    AssetBuild(app)

    @app.route("/")
    def index():
        return render_template_string(
            "{{ importmap() }}{{ asset_tag('css/site.css') }}"
            "<script src=\"{{ url_for('static', filename='js/app.js') }}\"></script>")
    return app


@pytest.fixture
def release(tmp_path: Path) -> Path:
    sample_release(tmp_path / "release", gzip_names=SAMPLE)
    return tmp_path / "release"


def test_url_for_static_returns_the_fingerprinted_url(release: Path) -> None:
    app = make_app(release)
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/" + paths(release)["css/site.css"]
        with pytest.raises(AssetNotFound, match="'css/sit.css'"):
            url_for("static", filename="css/sit.css")


def test_templates_get_the_jinja_globals(release: Path) -> None:
    html = make_app(release).test_client().get("/").get_data(as_text=True)
    p = paths(release)
    assert (f'<link rel="stylesheet" href="/static/{p["css/site.css"]}" '
            f'integrity="{sri(SAMPLE["css/site.css"])}" crossorigin="anonymous">') in html
    assert f'<script src="/static/{p["js/app.js"]}">' in html
    assert '<script type="importmap">' in html


def test_fingerprinted_files_are_served_immutable(release: Path) -> None:
    client = make_app(release).test_client()
    path = paths(release)["js/app.js"]
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.data == SAMPLE["js/app.js"]
    assert response.content_encoding is None
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"


def test_precompressed_twin_is_served_when_accepted(release: Path) -> None:
    client = make_app(release).test_client()
    path = paths(release)["css/site.css"]
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip, br;q=0"})
    assert response.content_encoding == "gzip"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "Content-Disposition" not in response.headers
    assert gzip.decompress(response.data) == SAMPLE["css/site.css"]


def test_only_files_the_manifest_lists_are_served(release: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    (release / "img" / "link.txt").symlink_to(tmp_path / "secret.txt")
    (release / "stray.txt").write_text("not in the manifest")
    client = make_app(release).test_client()
    for url in ("/static/css/site.css", "/static/../secret.txt", "/static/%2e%2e/secret.txt",
                "/static/img/link.txt", "/static/stray.txt", "/static/manifest.json",
                "/static/" + paths(release)["css/site.css"] + ".gz"):
        assert client.get(url).status_code == 404, url


def test_cdn_prefix_applies_to_the_jinja_globals(release: Path) -> None:
    app = make_app(release, ASSETBUILD_URL_PREFIX="https://cdn.example.com/static/")
    html = app.test_client().get("/").get_data(as_text=True)
    assert f'href="https://cdn.example.com/static/{paths(release)["css/site.css"]}"' in html


def test_cdn_prefix_applies_to_url_for_static(release: Path) -> None:
    app = make_app(release, ASSETBUILD_URL_PREFIX="https://cdn.example.com/static/")
    app.add_url_rule("/page", "page", lambda: "page")
    p = paths(release)
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == f"https://cdn.example.com/static/{p['css/site.css']}"
        assert url_for("static", filename=p["js/app.js"], _external=True) == \
            f"https://cdn.example.com/static/{p['js/app.js']}"
        with pytest.raises(AssetNotFound, match="'css/sit.css'"):
            url_for("static", filename="css/sit.css")
        assert url_for("static", filename="css/site.css", v="2") == f"/static/{p['css/site.css']}?v=2"
        assert url_for("page") == "/page"
    html = app.test_client().get("/").get_data(as_text=True)  # the template global too
    assert f'<script src="https://cdn.example.com/static/{p["js/app.js"]}">' in html
    local = make_app(release, ASSETBUILD_URL_PREFIX="/assets/")  # a path: the app's own route
    with local.test_request_context():
        assert url_for("static", filename="css/site.css") == f"/static/{p['css/site.css']}"


def test_init_app_pattern_and_app_without_static_folder(release: Path) -> None:
    app = Flask(__name__, static_folder=None)
    app.config["ASSETBUILD_MANIFEST"] = str(release)
    ext = AssetBuild()
    ext.init_app(app)
    assert assets_of(app).url("js/app.js").startswith("/static/js/app.")
    path = paths(release)["js/app.js"]
    assert app.test_client().get(f"/static/{path}").status_code == 200


def test_missing_manifest_fails_at_start_up(tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path))
    app.config["ASSETBUILD_MANIFEST"] = "build/manifest.json"
    with pytest.raises(ManifestError, match=f"{tmp_path}/build/manifest.json: manifest not found; "
                                            "build it with 'assetbuild compile'"):
        AssetBuild(app)


def test_no_manifest_configured_fails_at_start_up() -> None:
    with pytest.raises(ManifestError, match="set ASSETBUILD_MANIFEST"):
        AssetBuild(Flask(__name__))


def test_rendering_and_url_for_touch_no_file(release: Path) -> None:
    app = make_app(release)
    with app.test_request_context():
        template = app.jinja_env.from_string(
            "{{ asset_tag('js/modules/main.js') }}{{ url_for('static', filename='img/logo.png') }}")
        with no_file_access():
            html = template.render()
    assert "integrity=" in html and paths(release)["img/logo.png"] in html


MISSING = ("{{ asset_tag('css/sight.css') }}|{{ asset_url('css/sight.css') }}|"
           "{{ asset_integrity('css/sight.css') }}|{{ url_for('static', filename='css/sight.css') }}")


def render_missing(app: Flask) -> str:
    with app.test_request_context():
        return render_template_string(MISSING)


def test_unknown_name_is_an_error_by_default_even_in_debug(release: Path) -> None:
    app = make_app(release, DEBUG=True)
    with pytest.raises(AssetNotFound, match="'css/sight.css' is not in .*did you mean 'css/site.css'"):
        render_missing(app)


def test_unknown_name_warns_in_debug_when_configured(release: Path, caplog) -> None:
    app = make_app(release, DEBUG=True, ASSETBUILD_MISSING="warn")
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        first, second = render_missing(app), render_missing(app)
    assert first == second == ('<link rel="stylesheet" href="/static/css/sight.css" '
                               'crossorigin="anonymous">|/static/css/sight.css||/static/css/sight.css')
    assert [r.getMessage() for r in caplog.records] == [
        f"asset 'css/sight.css' is not in {release / 'manifest.json'}; did you mean 'css/site.css'?"]
    html = app.test_client().get("/").get_data(as_text=True)  # known names stay fingerprinted
    assert f'href="/static/{paths(release)["css/site.css"]}" integrity="sha384-' in html


def test_warn_setting_is_ignored_in_production(release: Path, caplog, monkeypatch) -> None:
    monkeypatch.setenv("ASSETBUILD_MISSING", "warn")  # the environment cannot turn it on either
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        app = make_app(release, ASSETBUILD_MISSING="warn")
    assert not app.debug
    assert [r.getMessage() for r in caplog.records] == [
        "ASSETBUILD_MISSING = 'warn' is ignored outside debug mode: an unknown asset name "
        "stays an error"]
    with pytest.raises(AssetNotFound, match="'css/sight.css' is not in"):
        render_missing(app)


APP = """\
from flask import Flask
from assetbuild.flask import AssetBuild
app = Flask(__name__)
app.config["ASSETBUILD_MANIFEST"] = "build/static/manifest.json"
AssetBuild(app)
"""


@pytest.mark.e2e
def test_flask_assetbuild_compile_builds_the_static_folder(tree) -> None:
    base = tree({"app.py": APP, "static/css/site.css": "body { color: red }\n",
                 "static/js/app.js": "console.log(1);\n"})
    proc = flask_cli(base, "assetbuild", "compile")
    assert proc.returncode == 0, proc.stderr
    assert "compiled 2 files" in proc.stdout
    release = base / "build" / "static"
    assert set(paths(release)) == {"css/site.css", "js/app.js"}
    routes = flask_cli(base, "routes")  # the app now starts, serving the release
    assert routes.returncode == 0, routes.stderr
    assert "/static/<path:filename>" in routes.stdout


@pytest.mark.e2e
def test_flask_assetbuild_compile_reports_errors_by_file(tree) -> None:
    base = tree({"app.py": APP, "static/a.css": 'a { background: url("nope.png") }'})
    proc = flask_cli(base, "assetbuild", "compile", ASSETBUILD_STRICT="1")
    assert proc.returncode == 1
    assert str(base / "static" / "a.css") in proc.stderr and "nope.png" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.e2e
def test_flask_assetbuild_compile_needs_a_release_folder(tree) -> None:
    base = tree({"app.py": APP.replace('app.config["ASSETBUILD_MANIFEST"] = "build/static/manifest.json"\n', ""),
                 "static/a.css": "a{}"})
    proc = flask_cli(base, "assetbuild", "compile")
    assert proc.returncode == 2
    assert "set ASSETBUILD_MANIFEST" in proc.stderr
