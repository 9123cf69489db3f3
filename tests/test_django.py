"""assetbuild.django: real Django projects, each started in its own process (start-up is
what is tested, and Django settings can be configured only once per process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.release import SAMPLE, make_release, paths, sample_release, sri

TESTS = Path(__file__).resolve().parent

SETTINGS = """\
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "assetbuild.django", "shop"]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "release"
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "assetbuild.django.ManifestStorage"}}
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True},
    {"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": [], "APP_DIRS": False,
     "OPTIONS": {"extensions": ["assetbuild.jinja.AssetExtension"]}},
]
ROOT_URLCONF = "urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
"""

MANAGE = """\
import sys
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "settings.py").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "urls.py").write_text("urlpatterns = []\n", encoding="utf-8")
    (tmp_path / "manage.py").write_text(MANAGE, encoding="utf-8")
    (tmp_path / "shop" / "static" / "shop").mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def run(project: Path, *args: str, code: str | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    # The package of this tree, not whichever one is installed.
    full_env.update(DJANGO_SETTINGS_MODULE="settings",
                    PYTHONPATH=os.pathsep.join([str(project), str(TESTS), str(TESTS.parent)]),
                    **env)
    argv = ["-c", textwrap.dedent(code)] if code is not None else list(args)
    return subprocess.run([sys.executable, *argv], cwd=project, env=full_env, capture_output=True,
                          text=True, timeout=120)


RENDER = """\
import json
import django
django.setup()
from django.template import engines
from django.templatetags.static import static
from support.nofiles import no_file_access
dtl = engines["django"].from_string(
    "{% load static assetbuild %}{% static 'css/site.css' %}|{% asset_url 'img/logo.png' %}|"
    "{% asset_integrity 'js/app.js' %}|{% asset_tag 'js/app.js' defer=True %}|"
    "{% asset_tag 'js/modules/util.js' 'modulepreload' %}|{% importmap %}")
jinja = engines["jinja2"].from_string("{{ asset_url('js/app.js') }}|{{ asset_tag('css/site.css') }}")
def render():
    return {"dtl": dtl.render({}), "jinja": jinja.render({}), "static": static("js/app.js")}
out = render()  # first use imports the storage module; then nothing may touch a file
with no_file_access():
    assert render() == out
print(json.dumps(out))
"""


@pytest.mark.e2e
def test_static_tags_and_jinja_render_fingerprinted_urls(project: Path) -> None:
    sample_release(project / "release")
    proc = run(project, code=RENDER)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    p = paths(project / "release")
    static_css, img, integrity, script, preload, importmap = out["dtl"].split("|")
    assert static_css == "/static/" + p["css/site.css"]
    assert img == "/static/" + p["img/logo.png"]
    assert integrity == sri(SAMPLE["js/app.js"])
    assert script == (f'<script src="/static/{p["js/app.js"]}" integrity="{sri(SAMPLE["js/app.js"])}" '
                      'crossorigin="anonymous" defer></script>')
    assert preload.startswith(f'<link rel="modulepreload" href="/static/{p["js/modules/util.js"]}"')
    assert importmap.startswith('<script type="importmap">{"imports":')
    assert out["static"] == "/static/" + p["js/app.js"]
    url, tag = out["jinja"].split("|")
    assert url == "/static/" + p["js/app.js"]
    assert tag == (f'<link rel="stylesheet" href="/static/{p["css/site.css"]}" '
                   f'integrity="{sri(SAMPLE["css/site.css"])}" crossorigin="anonymous">')


@pytest.mark.e2e
def test_cdn_prefix_from_the_environment(project: Path) -> None:
    sample_release(project / "release")
    proc = run(project, code=RENDER, ASSETBUILD_URL_PREFIX="https://cdn.example.com/s/")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["static"] == "https://cdn.example.com/s/" + paths(project / "release")["js/app.js"]


@pytest.mark.e2e
def test_unknown_name_in_static_tag_names_it(project: Path) -> None:
    sample_release(project / "release")
    proc = run(project, code="""\
        import django
        django.setup()
        from django.template import engines
        engines["django"].from_string("{% load static %}{% static 'js/ap.js' %}").render({})
    """)
    assert proc.returncode != 0
    assert "AssetNotFound: asset 'js/ap.js' is not in" in proc.stderr
    assert "did you mean 'js/app.js'" in proc.stderr


MISSING = """\
import django
django.setup()
from django.template import engines
dtl = engines["django"].from_string(
    "{% load static assetbuild %}{% static 'js/ap.js' %}|{% asset_tag 'js/ap.js' %}|"
    "{% asset_integrity 'js/ap.js' %}")
jinja = engines["jinja2"].from_string("{{ asset_url('js/ap.js') }}")
print(dtl.render({}))
print(dtl.render({}))
print(jinja.render({}))
"""


def set_missing(project: Path, debug: bool | None, mode: str | None) -> None:
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        if debug is not None:
            fh.write(f"DEBUG = {debug}\n")
        if mode is not None:
            fh.write(f"ASSETBUILD_MISSING = {mode!r}\n")


@pytest.mark.e2e
def test_unknown_name_is_an_error_in_debug_by_default(project: Path) -> None:
    sample_release(project / "release")
    set_missing(project, debug=True, mode=None)
    proc = run(project, code=MISSING)
    assert proc.returncode != 0
    assert "AssetNotFound: asset 'js/ap.js' is not in" in proc.stderr


@pytest.mark.e2e
def test_unknown_name_warns_once_in_debug_when_configured(project: Path) -> None:
    sample_release(project / "release")
    set_missing(project, debug=True, mode="warn")
    proc = run(project, code=MISSING)
    assert proc.returncode == 0, proc.stderr
    tag = '<script src="/static/js/ap.js" crossorigin="anonymous"></script>'
    assert proc.stdout.splitlines() == [f"/static/js/ap.js|{tag}|", f"/static/js/ap.js|{tag}|",
                                        "/static/js/ap.js"]
    manifest = project / "release" / "manifest.json"
    assert proc.stderr.splitlines() == [
        f"asset 'js/ap.js' is not in {manifest}; did you mean 'js/app.js'?"]


@pytest.mark.e2e
def test_warn_setting_is_ignored_in_production(project: Path) -> None:
    sample_release(project / "release")
    set_missing(project, debug=False, mode="warn")
    proc = run(project, code=MISSING, ASSETBUILD_MISSING="warn")
    assert proc.returncode != 0
    lines = proc.stderr.splitlines()
    assert lines[0] == ("ASSETBUILD_MISSING = 'warn' is ignored outside debug mode: an unknown "
                        "asset name stays an error")
    assert lines[-1].startswith("assetbuild.runtime.AssetNotFound: asset 'js/ap.js' is not in")


@pytest.mark.e2e
def test_a_bad_missing_setting_stops_start_up(project: Path) -> None:
    sample_release(project / "release")
    set_missing(project, debug=True, mode="loud")
    proc = run(project, code="""\
        from django.core.wsgi import get_wsgi_application
        get_wsgi_application()
    """)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "django.core.exceptions.ImproperlyConfigured: assetbuild: ASSETBUILD_MISSING must be "
        "'error', 'warn' or 'plain', not 'loud'")


@pytest.mark.e2e
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_wsgi_start_up_fails_without_a_good_manifest(project: Path, damage: str) -> None:
    if damage == "corrupt":
        (project / "release").mkdir()
        (project / "release" / "manifest.json").write_text("{oops", encoding="utf-8")
    proc = run(project, code="""\
        from django.core.wsgi import get_wsgi_application
        get_wsgi_application()
    """)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: assetbuild: ")
    assert str(project / "release" / "manifest.json") in last
    assert "python manage.py assetbuild" in last


@pytest.mark.e2e
def test_check_deploy_reports_a_missing_release(project: Path) -> None:
    proc = run(project, "manage.py", "check", "--deploy")
    assert proc.returncode == 1
    assert ("?: (assetbuild.E001) the asset release could not be loaded: "
            f"{project / 'release' / 'manifest.json'}: manifest not found; build it with "
            "'assetbuild compile'") in proc.stderr.splitlines()


@pytest.mark.e2e
def test_manage_py_check_passes_with_a_release(project: Path) -> None:
    sample_release(project / "release")
    proc = run(project, "manage.py", "check")
    assert proc.returncode == 0, proc.stderr
    assert "assetbuild" not in proc.stderr


@pytest.mark.e2e
def test_check_warns_when_static_is_not_fingerprinted(project: Path) -> None:
    sample_release(project / "release")
    settings = (project / "settings.py").read_text(encoding="utf-8")
    (project / "settings.py").write_text(settings.replace(
        "assetbuild.django.ManifestStorage", "django.contrib.staticfiles.storage.StaticFilesStorage"))
    proc = run(project, "manage.py", "check")
    assert "assetbuild.W001" in proc.stderr


@pytest.mark.e2e
def test_explicit_manifest_setting_wins(project: Path) -> None:
    make_release(project / "elsewhere", {"a.css": b"a{}"}, modules=())
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write(f"ASSETBUILD_MANIFEST = {str(project / 'elsewhere' / 'manifest.json')!r}\n")
    proc = run(project, code="""\
        import django
        django.setup()
        from django.templatetags.static import static
        print(static("a.css"))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "/static/" + paths(project / "elsewhere")["a.css"]


@pytest.mark.e2e
def test_manage_py_assetbuild_compiles_dirs_and_app_static(project: Path) -> None:
    (project / "shop" / "static" / "shop" / "a.css").write_text("a { color: red }\n", encoding="utf-8")
    (project / "shop" / "static" / "shop" / "only-app.js").write_text("var x = 1;\n", encoding="utf-8")
    (project / "assets" / "shop").mkdir(parents=True)
    (project / "assets" / "shop" / "a.css").write_text("a { color: blue }\n", encoding="utf-8")
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write('STATICFILES_DIRS = [BASE_DIR / "assets"]\n')
    proc = run(project, "manage.py", "assetbuild")
    assert proc.returncode == 0, proc.stderr
    assert "compiled" in proc.stdout and str(project / "release") in proc.stdout
    p = paths(project / "release")
    assert set(p) == {"shop/a.css", "shop/only-app.js"}
    assert b"blue" in (project / "release" / p["shop/a.css"]).read_bytes()  # STATICFILES_DIRS first
    check = run(project, "manage.py", "check")
    assert check.returncode == 0, check.stderr
    shown = run(project, code="""\
        import django
        django.setup()
        from django.templatetags.static import static
        print(static("shop/only-app.js"))
    """)
    assert shown.stdout.strip() == "/static/" + p["shop/only-app.js"]


@pytest.mark.e2e
def test_manage_py_assetbuild_takes_prefixed_dirs_and_skips_what_collectstatic_ignores(
        project: Path) -> None:
    vendor = project / "node_modules" / "lib"
    (vendor / "CVS").mkdir(parents=True)
    (vendor / "lib.css").write_text("b { color: red }\n", encoding="utf-8")
    (vendor / "lib.css~").write_text("editor backup\n", encoding="utf-8")
    (vendor / "CVS" / "Entries").write_text("cvs\n", encoding="utf-8")
    (vendor / ".hidden.js").write_text("var h;\n", encoding="utf-8")
    (project / "shop" / "static" / "shop" / "a.css").write_text(
        'a { background: url("../vendor/lib.css") }\n', encoding="utf-8")
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write('STATICFILES_DIRS = [("vendor", BASE_DIR / "node_modules" / "lib")]\n')
    proc = run(project, "manage.py", "assetbuild")
    assert proc.returncode == 0, proc.stderr
    p = paths(project / "release")
    assert set(p) == {"vendor/lib.css", "shop/a.css"}
    assert p["vendor/lib.css"].startswith("vendor/lib.")
    css = (project / "release" / p["shop/a.css"]).read_text(encoding="utf-8")
    assert css == f'a{{background:url("../{p["vendor/lib.css"]}")}}'
    assert verify_extra(project).returncode == 0


@pytest.mark.e2e
def test_manage_py_assetbuild_reports_build_errors_by_file(project: Path) -> None:
    css = project / "shop" / "static" / "shop" / "a.css"
    css.write_text('a { background: url("missing.png") }\n', encoding="utf-8")
    proc = run(project, "manage.py", "assetbuild", ASSETBUILD_STRICT="1")
    assert proc.returncode == 1, proc.stderr
    assert str(css) in proc.stderr and "missing.png" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "release" / "manifest.json").exists()


def verify_extra(project: Path) -> subprocess.CompletedProcess:
    """`assetbuild verify --extra` on the project's release: every file listed, nothing else."""
    proc = run(project, "-m", "assetbuild", "verify", "--extra", "release")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def add_sources(project: Path) -> None:
    static = project / "shop" / "static" / "shop"
    (static / "site.css").write_text('body { background: url("bg.png") }\n', encoding="utf-8")
    (static / "bg.png").write_bytes(b"\x89PNG not really")
    (static / "app.js").write_text("var answer = 42;\n", encoding="utf-8")


@pytest.mark.e2e
def test_collectstatic_builds_the_release_as_manage_py_assetbuild_does(project: Path) -> None:
    add_sources(project)
    proc = run(project, "manage.py", "collectstatic", "--noinput")
    assert proc.returncode == 0, proc.stderr
    verify_extra(project)  # fingerprinted files only: no plain copies beside them
    p = paths(project / "release")
    assert set(p) == {"shop/site.css", "shop/bg.png", "shop/app.js"}
    assert (project / "release" / p["shop/site.css"]).read_text(encoding="utf-8") == (
        f'body{{background:url("{p["shop/bg.png"].rpartition("/")[2]}")}}')
    shown = run(project, code="""\
        import django
        django.setup()
        from django.templatetags.static import static
        print(static("shop/app.js"))
    """)
    assert shown.stdout.strip() == "/static/" + p["shop/app.js"]
    again = run(project, "manage.py", "assetbuild")  # the same release, built the other way
    assert again.returncode == 0, again.stderr
    assert paths(project / "release") == p


@pytest.mark.e2e
def test_collectstatic_clear_removes_old_plain_copies(project: Path) -> None:
    add_sources(project)
    (project / "release" / "shop").mkdir(parents=True)
    (project / "release" / "shop" / "app.js").write_text("left by an old collectstatic\n")
    proc = run(project, "manage.py", "collectstatic", "--noinput", "--clear")
    assert proc.returncode == 0, proc.stderr
    assert not (project / "release" / "shop" / "app.js").exists()
    verify_extra(project)


@pytest.mark.e2e
def test_collectstatic_dry_run_writes_nothing(project: Path) -> None:
    add_sources(project)
    proc = run(project, "manage.py", "collectstatic", "--noinput", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert not (project / "release").exists() or not any((project / "release").rglob("*"))


@pytest.mark.e2e
def test_collectstatic_link_is_refused_in_one_line(project: Path) -> None:
    add_sources(project)
    proc = run(project, "manage.py", "collectstatic", "--noinput", "--link")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("CommandError: ")
    assert "run it without --link" in proc.stderr and "Traceback" not in proc.stderr
    assert not (project / "release" / "manifest.json").exists()


@pytest.mark.e2e
def test_collectstatic_reports_build_errors_by_file(project: Path) -> None:
    css = project / "shop" / "static" / "shop" / "a.css"
    css.write_text('a { background: url("missing.png") }\n', encoding="utf-8")
    proc = run(project, "manage.py", "collectstatic", "--noinput", ASSETBUILD_STRICT="1")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(f"CommandError: {css}:1")
    assert "missing.png" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("name, suffix", [("img/logo.png", "#frag"), ("css/site.css", "?v=2"),
                                          ("css/site.css", "?v=2#x")])
def test_static_keeps_a_query_or_fragment(project: Path, name: str, suffix: str) -> None:
    sample_release(project / "release")
    proc = run(project, code=f"""\
        import django
        django.setup()
        from django.template import engines
        from django.templatetags.static import static
        print(engines["django"].from_string("{{% load static %}}{{% static '{name}{suffix}' %}}").render({{}}))
        print(static("{name}{suffix}"))
    """)
    assert proc.returncode == 0, proc.stderr
    url = "/static/" + paths(project / "release")[name] + suffix
    assert proc.stdout.splitlines() == [url, url]


PLAIN = """\
import django
django.setup()
from django.template import engines
from django.templatetags.static import static
dtl = engines["django"].from_string(
    "{% load static assetbuild %}{% static 'js/ap.js' %}|{% asset_tag 'js/ap.js' %}|"
    "{% static 'css/site.css' %}")
print(dtl.render({}))
print(dtl.render({}))
print(engines["jinja2"].from_string("{{ asset_url('img/nope.png#x') }}").render({}))
"""


@pytest.mark.e2e
def test_plain_missing_mode_falls_back_in_production(project: Path) -> None:
    sample_release(project / "release")
    set_missing(project, debug=False, mode="plain")
    proc = run(project, code=PLAIN)
    assert proc.returncode == 0, proc.stderr
    css = "/static/" + paths(project / "release")["css/site.css"]
    tag = '<script src="/static/js/ap.js" crossorigin="anonymous"></script>'
    assert proc.stdout.splitlines() == [f"/static/js/ap.js|{tag}|{css}", f"/static/js/ap.js|{tag}|{css}",
                                        "/static/img/nope.png#x"]
    manifest = project / "release" / "manifest.json"
    assert proc.stderr.splitlines() == [
        f"asset 'js/ap.js' is not in {manifest}; did you mean 'js/app.js'?",
        f"asset 'img/nope.png' is not in {manifest}; did you mean 'img/logo.png'?"]


@pytest.mark.e2e
def test_plain_missing_mode_from_the_environment(project: Path) -> None:
    sample_release(project / "release")
    proc = run(project, code=PLAIN, ASSETBUILD_MISSING="plain")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2] == "/static/img/nope.png#x"


SHOP_TESTS = """\
from django.test import SimpleTestCase

class Smoke(SimpleTestCase):
    def test_settings(self):
        from django.conf import settings
        self.assertEqual(settings.STATIC_URL, "/static/")
"""

MODELS = """\
from django.db import models

class Item(models.Model):
    name = models.CharField(max_length=20)
"""


@pytest.mark.e2e
def test_commands_that_serve_no_pages_run_without_a_release(project: Path) -> None:
    (project / "shop" / "models.py").write_text(MODELS, encoding="utf-8")
    (project / "shop" / "tests.py").write_text(SHOP_TESTS, encoding="utf-8")
    for command in (["manage.py", "check"], ["manage.py", "makemigrations", "shop"],
                    ["manage.py", "migrate"], ["-m", "django", "migrate"],
                    ["manage.py", "test", "shop"]):
        proc = run(project, *command)
        assert proc.returncode == 0, (command, proc.stderr)
        assert "assetbuild" not in proc.stdout + proc.stderr, command
    assert not (project / "release").exists()


@pytest.mark.e2e
def test_pytest_django_runs_without_a_release(project: Path) -> None:
    (project / "test_smoke.py").write_text(
        "def test_static_url(settings):\n    assert settings.STATIC_URL == '/static/'\n",
        encoding="utf-8")
    proc = run(project, "-m", "pytest", "-q", "-p", "pytest_django", "test_smoke.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("program, reload", [(["manage.py"], False), (["manage.py"], True),
                                             (["-m", "django"], False)])
def test_runserver_stops_at_once_without_a_release(project: Path, program: list[str],
                                                   reload: bool) -> None:
    args = [*program, "runserver", f"127.0.0.1:{free_port()}"] + ([] if reload else ["--noreload"])
    proc = run(project, *args)
    assert proc.returncode == 1
    manifest = project / "release" / "manifest.json"
    assert proc.stderr.splitlines() == [
        f"assetbuild: {manifest}: manifest not found; build it with 'assetbuild compile' "
        "(in the build stage, run 'python manage.py assetbuild')"]


@pytest.mark.e2e
def test_asgi_start_up_fails_without_a_release(project: Path) -> None:
    proc = run(project, code="""\
        from django.core.asgi import get_asgi_application
        get_asgi_application()
    """)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "django.core.exceptions.ImproperlyConfigured: assetbuild: "
        f"{project / 'release' / 'manifest.json'}: manifest not found")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def runserver(project: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`manage.py runserver --noreload` on a free port; yields its base URL once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="settings",
               PYTHONPATH=os.pathsep.join([str(project), str(TESTS), str(TESTS.parent)]))
    proc = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload",
                             f"127.0.0.1:{port}"], cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"runserver did not start: {proc.communicate()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.e2e
def test_debug_runserver_warns_at_start_when_it_would_404(project: Path) -> None:
    sample_release(project / "release")
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write("DEBUG = True\n")
    with runserver(project) as (base, proc):
        assert status(f"{base}/static/{paths(project / 'release')['css/site.css']}") == 404
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert ("?: (assetbuild.W002) runserver with DEBUG = True serves /static/ from the source "
            "folders, where the fingerprinted names of the release do not exist (every asset "
            "would be a 404)") in err.splitlines()
    assert ("\tHINT: add 'assetbuild.django.finders.ReleaseFinder' to STATICFILES_FINDERS"
            in err.splitlines())


@pytest.mark.e2e
def test_debug_runserver_serves_the_release_with_the_finder(project: Path) -> None:
    sample_release(project / "release")
    (project / "shop" / "static" / "shop" / "plain.txt").write_text("a source\n", encoding="utf-8")
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write("DEBUG = True\nSTATICFILES_FINDERS = [\n"
                 "    'assetbuild.django.finders.ReleaseFinder',\n"
                 "    'django.contrib.staticfiles.finders.FileSystemFinder',\n"
                 "    'django.contrib.staticfiles.finders.AppDirectoriesFinder']\n")
    p = paths(project / "release")
    with runserver(project) as (base, proc):
        with urllib.request.urlopen(f"{base}/static/{p['css/site.css']}", timeout=10) as response:
            assert response.read() == (project / "release" / p["css/site.css"]).read_bytes()
        assert status(f"{base}/static/shop/plain.txt") == 200  # sources are still served
        assert status(f"{base}/static/manifest.json") == 404  # only files the manifest lists
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "assetbuild" not in err


@pytest.mark.parametrize("argv, command", [
    (["manage.py", "migrate"], "migrate"), (["/srv/app/manage.py"], "help"),
    (["/venv/bin/django-admin", "runserver"], "runserver"),
    (["/venv/lib/python3.12/site-packages/django/__main__.py", "check"], "check"),
    (["/venv/bin/gunicorn", "site.wsgi"], None), (["-c"], None), ([], None)])
def test_the_manage_py_command_is_read_from_argv(argv: list[str], command: str | None) -> None:
    from assetbuild.django.process import manage_py_command, serves_pages
    assert manage_py_command(argv) == command
    if command is not None:
        assert serves_pages(argv) is (command == "runserver")
