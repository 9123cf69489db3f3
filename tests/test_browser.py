"""End to end: both example apps, compiled by their documented build command, served on
127.0.0.1 and driven by headless Chromium (Debian's package, through Playwright); and two
libraries that load files by their plain names (django-tinymce's admin, ace)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from support.cli import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync"]
APPS = {
    # name: (folder, build command, serve command with {port}, release env var)
    "flask": (FIXTURES / "flask_app", ["-m", "flask", "--app", "app", "assetbuild", "compile"],
              ["-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", "{port}"],
              "ASSETBUILD_MANIFEST"),
    "django": (FIXTURES / "django_project", ["manage.py", "assetbuild"],
               ["manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], "STATIC_ROOT"),
}


def _env(release: Path, var: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_", "FLASK_"))}
    env[var] = str(release / "manifest.json") if var == "ASSETBUILD_MANIFEST" else str(release)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/setup.d/browser.sh installs it")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    """Each app's release, built once by its documented build command."""
    built = {}
    for name, (folder, build, _, var) in APPS.items():
        release = tmp_path_factory.mktemp(name) / "static"
        proc = subprocess.run([sys.executable, *build], cwd=folder, env=_env(release, var),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert (release / "manifest.json").is_file() and (release / "importmap.json").is_file()
        built[name] = release
    return built


class Server:
    """A server started by *command* (``{port}`` filled in), once it accepts connections."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, *[a.format(port=self.port) for a in command]], cwd=cwd,
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{command} exited:\n{self.proc.stdout.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{command} did not start on port {self.port}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(app: str, release: Path) -> Iterator[Server]:
    folder, _, command, var = APPS[app]
    yield from serving(command, folder, _env(release, var))


def serving(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Server]:
    server = Server(command, cwd, env)
    try:
        yield server
    finally:
        server.stop()


def visit(browser, url: str, wait_for: str | None, state_of: str = "") -> dict:
    """Load *url* in a fresh context; return the network log, console and page state
    (*state_of*: a JavaScript function returning it, else the example page's state)."""
    context = browser.new_context()
    page = context.new_page()
    responses, failed, console = [], [], []
    page.on("response", lambda r: responses.append(
        {"url": r.url, "status": r.status, "cache": r.headers.get("cache-control", "")}))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(url, wait_until="load")
    if wait_for:
        page.wait_for_function(wait_for, timeout=10_000)
    page.wait_for_load_state("networkidle")
    state = page.evaluate(state_of or """async () => {
        await document.fonts.ready;
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        const root = document.documentElement.dataset;
        return {
            h1Color: css("h1", "color"), h1Font: css("h1", "fontFamily"),
            bodyBackground: css("body", "backgroundColor"), cardBorder: css(".card", "borderTopColor"),
            logoImage: css(".logo", "backgroundImage"),
            fonts: [...document.fonts].map(f => [f.family, f.status]),
            fontUsable: document.fonts.check('16px "Example Sans"'),
            img: [...document.images].map(i => [i.currentSrc, i.complete && i.naturalWidth > 0]),
            app: root.app || null, module: root.module || null, lazy: root.lazy || null,
            bare: root.bare || null, sideEffect: globalThis.exampleSideEffect === true,
            vendor: globalThis.vendorParts || null,
            untagged: [...document.querySelectorAll(
                "script[src], link[rel=stylesheet], link[rel=modulepreload]")]
                .filter(e => !e.integrity).map(e => e.outerHTML),
            importmaps: document.querySelectorAll("script[type=importmap]").length,
        };
    }""")
    context.close()
    return {"responses": responses, "failed": failed, "console": console, "state": state}


def manifest_of(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text(encoding="utf-8"))["assets"]


def static_requests(result: dict, base: str) -> dict[str, dict]:
    """Responses under /static/, keyed by the release-relative path they asked for."""
    found = {}
    for response in result["responses"]:
        parsed = urlparse(response["url"])
        assert parsed.netloc == urlparse(base).netloc, f"request off the app: {response['url']}"
        if parsed.path.startswith("/static/"):
            found[unquote(parsed.path[len("/static/"):])] = response
    return found


def check_page(result: dict, release: Path, base: str) -> None:
    state, assets = result["state"], manifest_of(release)
    fingerprinted = {entry["path"] for entry in assets.values()}
    # Network: nothing failed, no 404, and only fingerprinted files were asked for.
    assert result["failed"] == []
    assert [r for r in result["responses"] if r["status"] >= 400] == []
    requested = static_requests(result, base)
    assert set(requested) <= fingerprinted, set(requested) - fingerprinted
    for entry in assets.values():
        if entry["path"] in requested:
            cache = requested[entry["path"]]["cache"]
            assert "immutable" in cache and "public" in cache, (entry["path"], cache)
    # The font and every image loaded.
    for name in [n for n in assets if n.startswith(("img/", "fonts/"))]:
        assert requested.get(assets[name]["path"], {}).get("status") == 200, f"{name} not loaded"
    assert ["Example Sans", "loaded"] in state["fonts"] and state["fontUsable"]
    assert state["img"] and all(ok for _, ok in state["img"])
    # The stylesheet applies: the bundle, its @import and its url() references.
    assert state["h1Color"] == "rgb(30, 120, 200)"
    assert state["h1Font"].startswith('"Example Sans"')
    assert state["bodyBackground"] == "rgb(250, 250, 250)"  # from base.css, @imported
    assert state["cardBorder"] == "rgb(200, 200, 200)"  # from theme.css, bundled
    assert assets["img/logo.svg"]["path"] in unquote(state["logoImage"])
    # Scripts and modules ran, with the import map resolving a bare specifier.
    assert state["importmaps"] == 1
    assert state["app"] == "ok" and state["vendor"] == ["a", "b"]
    assert state["module"] == "hello modules" and state["lazy"] == "lazy ok"
    assert state["sideEffect"] and state["bare"] == "hello bare"
    # Every SRI check passed: each tag carries integrity and the console stayed clean.
    assert state["untagged"] == []
    assert result["console"] == []


READY = "document.documentElement.dataset.lazy && document.documentElement.dataset.bare"


@pytest.mark.parametrize("app,page", [("flask", "/"), ("django", "/"), ("django", "/jinja/")])
def test_example_app_in_chromium(browser, releases, app: str, page: str) -> None:
    release = releases[app]
    for server in serve(app, release):
        result = visit(browser, server.base + page, READY)
        check_page(result, release, server.base)
    if app == "flask":  # the exact value: a no-cache in it would make browsers revalidate
        caches = {path: r["cache"] for path, r in fingerprinted_responses(result, release).items()}
        assert caches and caches == dict.fromkeys(caches, FLASK_IMMUTABLE)


FLASK_IMMUTABLE = "public, max-age=31536000, immutable"  # exactly: no no-cache
SHOP_STATE = """() => ({
    h2Color: getComputedStyle(document.querySelector("h2")).color,
    h1Color: getComputedStyle(document.querySelector("h1") || document.body).color,
    badge: getComputedStyle(document.querySelector(".badge")).backgroundImage,
    img: [...document.images].map(i => [i.currentSrc, i.complete && i.naturalWidth > 0]),
    use: document.querySelector("use").getAttribute("href"),
    shop: document.documentElement.dataset.shop || null,
})"""


def fingerprinted_responses(result: dict, release: Path) -> dict[str, dict]:
    """Responses for the release's files, keyed by their path in the release; a blueprint's
    files are in the release under their URL path (shop/static/...)."""
    paths = {entry["path"] for entry in manifest_of(release).values()}
    found = {}
    for response in result["responses"]:
        path = unquote(urlparse(response["url"]).path).lstrip("/")
        for candidate in (path, path.removeprefix("static/")):
            if candidate in paths:
                found[candidate] = response
    return found


def test_flask_blueprint_page_in_chromium(browser, releases) -> None:
    release = releases["flask"]
    for server in serve("flask", release):
        result = visit(browser, server.base + "/shop/", "document.documentElement.dataset.shop",
                       SHOP_STATE)
    assets = manifest_of(release)
    assert [r for r in result["responses"] if r["status"] >= 400] == []
    assert result["failed"] == [] and result["console"] == []
    served = fingerprinted_responses(result, release)
    for name in ("shop/static/shop.css", "shop/static/badge.png", "shop/static/icons.svg",
                 "shop/static/shop.js", "bundles/site-all.css"):
        assert served[assets[name]["path"]]["status"] == 200, name
    assert {path: r["cache"] for path, r in served.items()} == dict.fromkeys(served, FLASK_IMMUTABLE)
    state = result["state"]
    assert state["h2Color"] == "rgb(10, 20, 30)" and state["shop"] == "ok"
    assert assets["shop/static/badge.png"]["path"].removeprefix("shop/static/") in state["badge"]
    assert state["img"] == [[f"{server.base}/{assets['shop/static/badge.png']['path']}", True]]
    assert state["use"] == f"/{assets['shop/static/icons.svg']['path']}#dot"


def tamper(release: Path, target: Path) -> dict[str, str]:
    """Copy *release* to *target* with js/app.js and js/modules/greet.mjs changed in place
    (same fingerprinted names, so their integrity no longer matches)."""
    shutil.copytree(release, target)
    assets = manifest_of(target)
    changed = {}
    for name in ("js/app.js", "js/modules/greet.mjs"):
        entry = assets[name]
        path = target / entry["path"]
        data = path.read_bytes().replace(b"ok", b"no").replace(b"hello", b"pwned") + b"\n//x"
        path.write_bytes(data)
        for coding, twin in entry["encodings"].items():
            if coding == "gzip":
                (target / twin).write_bytes(gzip.compress(data))
            elif coding == "br":
                import brotli
                (target / twin).write_bytes(brotli.compress(data))
        changed[name] = entry["path"]
    return changed


@pytest.mark.parametrize("app", ["flask", "django"])
def test_tampered_assets_are_blocked(browser, releases, tmp_path: Path, app: str) -> None:
    target = tmp_path / "static"
    changed = tamper(releases[app], target)
    for server in serve(app, target):
        result = visit(browser, server.base + "/", None)
    requested = static_requests(result, server.base)
    for path in changed.values():  # the server sent them; the browser refused to run them
        assert requested[path]["status"] == 200
    state = result["state"]
    assert state["app"] is None and state["module"] is None and state["bare"] is None
    assert state["h1Color"] == "rgb(30, 120, 200)"  # untouched assets still work
    integrity_errors = [c for c in result["console"] if "integrity" in c]
    assert len(integrity_errors) >= 2, result["console"]
    assert any(changed["js/app.js"].rsplit("/", 1)[-1] in c for c in integrity_errors)


# Libraries that load files by their plain names at run time: every file they ask for
# exists, the copies under plain names come with short caching, fingerprinted ones immutable.

NODE_MODULES = Path(__file__).resolve().parent / ".npm-corpus" / "node_modules"
TINYMCE_SETTINGS = """\
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages",
                  "django.contrib.staticfiles", "assetbuild.django", "tinymce", "notes"]
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware",
              "django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "release"
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "assetbuild.django.ManifestStorage"}}
from assetbuild.django.whitenoise import immutable_file_test
WHITENOISE_IMMUTABLE_FILE_TEST = immutable_file_test
# django-tinymce's default plugins, with TinyMCE 7's licence choice (else it warns).
TINYMCE_DEFAULT_CONFIG = {
    "license_key": "gpl", "height": 400, "menubar": False,
    "plugins": "advlist,autolink,lists,link,image,charmap,preview,anchor,searchreplace,"
               "visualblocks,code,fullscreen,insertdatetime,media,table,help,wordcount",
    "toolbar": "undo redo | blocks | bold italic | bullist numlist | table | help"}
"""
TINYMCE_FILES = {
    "settings.py": TINYMCE_SETTINGS,
    "urls.py": "from django.contrib import admin\nfrom django.urls import path\n"
               "urlpatterns = [path('admin/', admin.site.urls)]\n",
    "manage.py": "import sys\nfrom django.core.management import execute_from_command_line\n"
                 "execute_from_command_line(sys.argv)\n",
    "notes/__init__.py": "",
    "notes/models.py": "from django.db import models\nfrom tinymce.models import HTMLField\n\n\n"
                       "class Note(models.Model):\n    body = HTMLField()\n",
    "notes/admin.py": "from django.contrib import admin\nfrom notes.models import Note\n\n"
                      "admin.site.register(Note)\n",
}


class Recorder:
    """A fresh browser page that records responses, failed requests and console messages."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.responses: list[dict] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.page.on("response", lambda r: self.responses.append(
            {"url": r.url, "status": r.status, "cache": r.headers.get("cache-control", "")}))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        # Not Chromium's own /favicon.ico request, which it makes for a page without an
        # icon link (Django's admin) whenever it gets to it: no asset of the page.
        self.page.on("console", lambda m: None if m.location["url"].endswith("/favicon.ico")
                     else self.console.append(f"{m.type}: {m.text} ({m.location['url']})"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def wait_for(self, expression: str) -> None:
        """Until *expression* is true and the network is idle; on a timeout, fail with
        what went wrong on the way (a missing file, a console error)."""
        from playwright.sync_api import TimeoutError

        try:
            self.page.wait_for_function(expression, timeout=20_000)
        except TimeoutError:
            missing = [f"{r['status']} {r['url']}" for r in self.responses if r["status"] >= 400]
            raise AssertionError(f"{expression} never became true; "
                                 f"failed: {missing + self.failed}; console: {self.console}") from None
        self.page.wait_for_load_state("networkidle")

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.close()


def check_plain_name_page(rec: Recorder, release: Path, base: str, hashed_cache: str,
                          plain_cache: str) -> dict[str, dict]:
    """Nothing failed or was missing, the console stayed clean, and each file under
    /static/ came with the caching of its kind; returns the plain names requested."""
    assert rec.failed == []
    assert [r for r in rec.responses if r["status"] >= 400] == []
    assert rec.console == []
    assets = manifest_of(release).values()
    hashed = {entry["path"] for entry in assets}
    plain = {entry["plain"]["path"] for entry in assets if "plain" in entry}
    local = [r for r in rec.responses if not r["url"].startswith("blob:")]  # ace's worker
    requested = static_requests({"responses": local}, base)
    assert set(requested) <= hashed | plain, set(requested) - hashed - plain
    for path, response in requested.items():
        assert response["cache"] == (hashed_cache if path in hashed else plain_cache), path
    return {path: r for path, r in requested.items() if path in plain}


def test_django_tinymce_admin_renders_the_editor(browser, tmp_path: Path) -> None:
    pytest.importorskip("tinymce", reason="django-tinymce is not installed (the test extra has it)")
    project = tmp_path / "project"
    for rel, text in TINYMCE_FILES.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="settings", DJANGO_SUPERUSER_PASSWORD="pw-for-tests")
    for command in (["assetbuild"], ["migrate", "--run-syncdb"],
                    ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@b.test"]):
        proc = subprocess.run([sys.executable, "manage.py", *command], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    release = project / "release"
    for server in serving(["manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], project, env):
        with Recorder(browser) as rec:
            page = rec.page
            page.goto(f"{server.base}/admin/login/?next=/admin/notes/note/add/")
            page.fill("#id_username", "admin")
            page.fill("#id_password", "pw-for-tests")
            rec.responses.clear()  # the admin's login page is not what is tested
            rec.console.clear()
            page.click("input[type=submit]")
            rec.wait_for("window.tinymce && tinymce.activeEditor && tinymce.activeEditor.initialized")
            toolbar = page.locator(".tox-tinymce .tox-toolbar__primary button").count()
            typed = page.evaluate("tinymce.activeEditor.setContent('<p>hi</p>') || "
                                  "tinymce.activeEditor.getContent()")
    assert toolbar > 5 and typed == "<p>hi</p>"
    plain = check_plain_name_page(rec, release, server.base, "max-age=315360000, public, immutable",
                                  "max-age=60, public")
    assert {"tinymce/themes/silver/theme.min.js", "tinymce/models/dom/model.min.js",
            "tinymce/icons/default/icons.min.js",
            "tinymce/skins/ui/oxide/skin.min.css", "tinymce/plugins/table/plugin.min.js",
            "tinymce/skins/content/default/content.min.css"} <= set(plain), sorted(plain)


ACE_APP = """\
from flask import Flask, render_template_string
from assetbuild.flask import AssetBuild

app = Flask(__name__)
AssetBuild(app)


@app.route("/")
def index():
    return render_template_string(
        '<link rel="icon" href="data:,"><div id="editor" style="height: 300px">var = ;</div>'
        '{{ asset_tag("ace-builds/src-min-noconflict/ace.js") }}'
        '<script>var editor = ace.edit("editor"); editor.setTheme("ace/theme/monokai");'
        'editor.session.setMode("ace/mode/javascript");</script>')
"""


def test_ace_loads_its_mode_theme_and_worker_by_plain_name(browser, tmp_path: Path) -> None:
    ace = NODE_MODULES / "ace-builds" / "src-min-noconflict"
    if not ace.is_dir():
        pytest.skip(f"third-party corpus not installed ({ace} is missing): "
                    "run .ci/setup.d/thirdparty.sh")
    app = tmp_path / "app"
    shutil.copytree(ace, app / "static" / "ace-builds" / "src-min-noconflict")
    (app / "app.py").write_text(ACE_APP, encoding="utf-8")
    release = tmp_path / "release"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "FLASK_"))}
    env["ASSETBUILD_MANIFEST"] = str(release / "manifest.json")
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "assetbuild", "compile"],
                          cwd=app, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for server in serving(["-m", "flask", "--app", "app", "run", "--host", "127.0.0.1",
                           "--port", "{port}"], app, env):
        with Recorder(browser) as rec:
            rec.page.goto(server.base + "/")
            # The mode's worker reports the syntax error: mode, theme and worker all loaded.
            rec.wait_for("editor.session.getAnnotations().length > 0 && "
                         "document.querySelector('#editor.ace-monokai') !== null")
            mode = rec.page.evaluate("editor.session.$modeId")
    assert mode == "ace/mode/javascript"
    plain = check_plain_name_page(rec, release, server.base, "public, max-age=31536000, immutable",
                                  "public, max-age=60")
    assert {"ace-builds/src-min-noconflict/mode-javascript.js",
            "ace-builds/src-min-noconflict/theme-monokai.js",
            "ace-builds/src-min-noconflict/worker-javascript.js"} <= set(plain), sorted(plain)
