"""A real Flask app factory with blueprints (one nested), compiled by `flask assetbuild
compile` and then served in-process: URLs, headers, and the commands that need no release."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import socket
import sys
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask, url_for
from support.cli import flask_cli, write_tree

from assetbuild.flask import IMMUTABLE
from assetbuild.manifest import ManifestError

APP = """\
from flask import Blueprint, Flask, render_template_string, send_from_directory
from assetbuild.flask import AssetBuild

assetbuild = AssetBuild()


def create_app(testing=False):
    app = Flask(__name__)
    app.config.update(ASSETBUILD_MANIFEST="build/static/manifest.json", TESTING=testing)
    assetbuild.init_app(app)  # before the blueprints, as app factories often do
    shop = Blueprint("shop", __name__, static_folder="shop_static", url_prefix="/shop")
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, static_folder="child_static", url_prefix="/child")
    parent.register_blueprint(child)
    app.register_blueprint(shop)
    app.register_blueprint(shop, name="outlet", url_prefix="/outlet")  # one folder, two routes
    app.register_blueprint(parent)

    @app.route("/robots.txt")
    def robots():
        return app.send_static_file("robots.txt")

    @app.route("/favicon.ico")
    def favicon():
        return send_from_directory(app.static_folder, "favicon.ico")

    @app.route("/page")
    def page():
        return render_template_string("{{ asset_tag('css/site.css') }}")

    @app.cli.command("migrate")  # like `flask db upgrade`: no page, no asset
    def migrate():
        print("migrated")

    return app
"""

FILES: dict[str, str | bytes] = {
    "app.py": APP,
    # 1 KiB and more once minified, so that they get a .br beside the .gz
    "static/css/site.css": "".join(f".c{i} {{ color: #12{i:04d} }}\n" for i in range(80)),
    "static/js/app.js": "".join(f"document.body.dataset.a{i} = 'ok';\n" for i in range(60)),
    "static/js/main.mjs": "".join(f"export const greeting{i} = 'hello';\n" for i in range(60)),
    "static/css/small.css": "".join(f".s{i} {{ margin: {i}px }}\n" for i in range(30)),
    "static/robots.txt": "User-agent: *\n",
    "static/favicon.ico": b"\x00\x00\x01\x00icon",
    "shop_static/shop.css": 'h1 { background: url("bg.png") }\n',
    "shop_static/bg.png": b"\x89PNG shop",
    "shop_static/icons.svg": '<svg xmlns="http://www.w3.org/2000/svg"><symbol id="dot"/></svg>',
    "child_static/child.css": "p { color: red }\n",
}


def import_app(folder: Path) -> ModuleType:
    """The app module of *folder*, imported under a name of its own."""
    name = f"flask_app_{abs(hash(str(folder)))}"
    spec = importlib.util.spec_from_file_location(name, folder / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in [n for n in os.environ if n.startswith(("ASSETBUILD_", "FLASK_"))]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The app's folder after `flask assetbuild compile`."""
    base = write_tree(tmp_path_factory.mktemp("shopapp"), FILES)
    proc = flask_cli(base, "assetbuild", "compile")
    assert proc.returncode == 0, proc.stderr
    return base


@pytest.fixture(scope="module")
def app(built: Path) -> Flask:
    return import_app(built).create_app()


def release_paths(base: Path) -> dict[str, str]:
    data = json.loads((base / "build" / "static" / "manifest.json").read_text(encoding="utf-8"))
    return {name: entry["path"] for name, entry in data["assets"].items()}


@pytest.mark.e2e
def test_blueprint_static_folders_are_compiled_under_their_url(built: Path) -> None:
    assert set(release_paths(built)) == {
        "css/site.css", "css/small.css", "js/app.js", "js/main.mjs", "robots.txt", "favicon.ico",
        "shop/shop_static/shop.css", "shop/shop_static/bg.png", "shop/shop_static/icons.svg",
        "parent/child/child_static/child.css"}
    shop_css = (built / "build" / "static" / release_paths(built)["shop/shop_static/shop.css"]).read_text()
    bg = release_paths(built)["shop/shop_static/bg.png"].removeprefix("shop/shop_static/")
    assert shop_css == f'h1{{background:url("{bg}")}}'  # references resolve within the folder


@pytest.mark.e2e
def test_url_for_blueprint_static_is_fingerprinted_and_served_immutable(built: Path, app: Flask) -> None:
    p = release_paths(built)
    with app.test_request_context():
        shop = url_for("shop.static", filename="shop.css")
        child = url_for("parent.child.static", filename="child.css")
        outlet = url_for("outlet.static", filename="shop.css")
    assert shop == "/" + p["shop/shop_static/shop.css"]
    assert child == "/" + p["parent/child/child_static/child.css"]
    assert outlet == "/outlet/" + p["shop/shop_static/shop.css"].removeprefix("shop/")
    client = app.test_client()
    for url, name in ((shop, "shop/shop_static/shop.css"), (outlet, "shop/shop_static/shop.css"),
                      (child, "parent/child/child_static/child.css")):
        response = client.get(url, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, url
        assert response.data == (built / "build" / "static" / p[name]).read_bytes()
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    # Only the release's files: a source name of the blueprint is not served.
    assert client.get("/shop/shop_static/shop.css").status_code == 404


def served_headers(response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in (
        "Content-Type", "Content-Encoding", "Vary", "Cache-Control", "Content-Disposition")}


@pytest.mark.e2e
@pytest.mark.parametrize("name,media_type", [("css/site.css", "text/css; charset=utf-8"),
                                             ("js/app.js", "text/javascript; charset=utf-8"),
                                             ("js/main.mjs", "text/javascript; charset=utf-8")])
def test_text_files_and_their_twins_have_exact_headers(built: Path, app: Flask, name: str,
                                                      media_type: str) -> None:
    brotli = pytest.importorskip("brotli")  # in the brotli extra
    path = release_paths(built)[name]
    client = app.test_client()
    for accept, coding, decode in (("identity", None, bytes), ("gzip", "gzip", gzip.decompress),
                                   ("br, gzip", "br", brotli.decompress)):
        response = client.get("/static/" + path, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert served_headers(response) == {
            "Content-Type": media_type, "Content-Encoding": coding, "Vary": "Accept-Encoding",
            "Cache-Control": IMMUTABLE, "Content-Disposition": None}, accept
        assert decode(response.data) == (built / "build" / "static" / path).read_bytes()
        again = client.get("/static/" + path, headers={"Accept-Encoding": accept,
                                                         "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.e2e
def test_a_file_under_one_kib_goes_to_a_br_client_as_gzip(built: Path, app: Flask) -> None:
    pytest.importorskip("brotli")
    path = release_paths(built)["css/small.css"]
    assert (built / "build" / "static" / path).stat().st_size < 1024
    response = app.test_client().get("/static/" + path, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert served_headers(response) == {
        "Content-Type": "text/css; charset=utf-8", "Content-Encoding": "gzip",
        "Vary": "Accept-Encoding", "Cache-Control": IMMUTABLE, "Content-Disposition": None}
    assert gzip.decompress(response.data) == (built / "build" / "static" / path).read_bytes()


@pytest.mark.e2e
def test_app_static_folder_is_left_alone(built: Path, app: Flask) -> None:
    assert app.static_folder == str(built / "static")
    client = app.test_client()
    robots = client.get("/robots.txt")  # app.send_static_file
    assert robots.status_code == 200 and robots.data == b"User-agent: *\n"
    favicon = client.get("/favicon.ico")  # send_from_directory(app.static_folder, ...)
    assert favicon.status_code == 200 and favicon.data == FILES["static/favicon.ico"]
    with app.test_request_context():  # while url_for('static') gives the release's file
        assert url_for("static", filename="robots.txt") == "/static/" + release_paths(built)["robots.txt"]


@pytest.mark.e2e
def test_url_for_keeps_a_query_and_a_fragment(built: Path, app: Flask) -> None:
    p = release_paths(built)
    with app.test_request_context():
        assert url_for("shop.static", filename="icons.svg#dot") == f"/{p['shop/shop_static/icons.svg']}#dot"
        assert url_for("static", filename="css/site.css?v=2") == f"/static/{p['css/site.css']}?v=2"
        assert url_for("static", filename="css/site.css?v=2#top", x="1") == \
            f"/static/{p['css/site.css']}?x=1&v=2#top"
        assert url_for("static", filename="css/site.css", _anchor="a b") == f"/static/{p['css/site.css']}#a%20b"


@pytest.mark.e2e
def test_url_for_keeps_a_query_and_a_fragment_with_a_cdn(built: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSETBUILD_URL_PREFIX", "https://cdn.example.com/static/")
    app = import_app(built).create_app()
    p = release_paths(built)
    with app.test_request_context():
        assert url_for("shop.static", filename="shop.css") == \
            f"https://cdn.example.com/static/{p['shop/shop_static/shop.css']}"
        # With a query or an anchor, the app's own route (an SVG's <use> needs one origin).
        assert url_for("shop.static", filename="icons.svg#dot") == f"/{p['shop/shop_static/icons.svg']}#dot"
        assert url_for("static", filename="css/site.css?v=2") == f"/static/{p['css/site.css']}?v=2"


@pytest.mark.e2e
def test_commands_that_serve_no_page_run_without_a_release(tree) -> None:
    base = tree(FILES)
    routes = flask_cli(base, "routes")
    assert routes.returncode == 0, routes.stderr
    assert "/shop/shop_static/<path:filename>" in routes.stdout
    assert "/parent/child/child_static/<path:filename>" in routes.stdout
    migrate = flask_cli(base, "migrate")
    assert (migrate.returncode, migrate.stdout, migrate.stderr) == (0, "migrated\n", "")
    assert not (base / "build").exists()


@pytest.mark.e2e
def test_flask_run_without_a_release_stops_with_one_line(tree) -> None:
    base = tree(FILES)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = flask_cli(base, "run", "--port", str(port), timeout=60)
    assert proc.returncode == 1
    manifest = base / "build" / "static" / "manifest.json"
    assert proc.stderr == f"Error: {manifest}: manifest not found; build it with 'assetbuild compile'\n"


@pytest.mark.e2e
def test_a_bad_setting_stops_a_flask_command_with_one_line(tree) -> None:
    proc = flask_cli(tree(FILES), "routes", ASSETBUILD_RELOAD="maybe")
    assert (proc.returncode, proc.stderr) == (1, "Error: ASSETBUILD_RELOAD must be true or false, not 'maybe'\n")


@pytest.mark.e2e
def test_a_testing_app_loads_the_release_on_first_use(tree) -> None:
    base = tree(FILES)
    app = import_app(base).create_app(testing=True)
    client = app.test_client()
    assert client.get("/robots.txt").status_code == 200  # no asset needed: no release needed
    with app.test_request_context(), pytest.raises(ManifestError, match="manifest not found"):
        url_for("static", filename="css/site.css")
    assert flask_cli(base, "assetbuild", "compile").returncode == 0
    page = client.get("/page").get_data(as_text=True)  # built since: read now
    assert f'href="/static/{release_paths(base)["css/site.css"]}"' in page


def test_a_serving_process_fails_at_start_up(tree) -> None:
    base = tree(FILES)  # imported by a WSGI server: not TESTING, not the flask command
    with pytest.raises(ManifestError, match="manifest not found"):
        import_app(base).create_app()


ADMIN_APP = """\
from flask import Flask
from flask_admin import Admin
from assetbuild.flask import AssetBuild

app = Flask(__name__)
app.config.update(ASSETBUILD_MANIFEST="build/static/manifest.json", SECRET_KEY="test")
Admin(app, name="shop")
AssetBuild(app)
"""


@pytest.mark.e2e
@pytest.mark.slow
def test_flask_admin_static_files_are_fingerprinted_and_served(tree) -> None:
    pytest.importorskip("flask_admin")  # in the test extra
    base = tree({"app.py": ADMIN_APP, "static/site.css": "body{}"})
    proc = flask_cli(base, "assetbuild", "compile")
    assert proc.returncode == 0, proc.stderr
    client = import_app(base).app.test_client()
    page = client.get("/admin/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/admin/static/[^"]+)"', page)
    assert len(urls) >= 5, page
    paths = set(release_paths(base).values())
    for url in urls:
        assert url.split("?")[0].removeprefix("/") in paths, url  # fingerprinted
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
