"""assetbuild.django: real Django projects, each started in its own process (start-up is
what is tested, and Django settings can be configured only once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from releases import paths, write_release

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
    full_env.update(DJANGO_SETTINGS_MODULE="settings",
                    PYTHONPATH=os.pathsep.join([str(project), str(TESTS)]), **env)
    argv = ["-c", textwrap.dedent(code)] if code is not None else list(args)
    return subprocess.run([sys.executable, *argv], cwd=project, env=full_env, capture_output=True,
                          text=True, timeout=120)


RENDER = """\
import json
import django
django.setup()
from django.template import engines
from django.templatetags.static import static
from nofiles import no_file_access
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


def test_static_tags_and_jinja_render_fingerprinted_urls(project: Path) -> None:
    write_release(project / "release")
    proc = run(project, code=RENDER)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    p = paths(project / "release")
    static_css, img, sri, script, preload, importmap = out["dtl"].split("|")
    assert static_css == "/static/" + p["css/site.css"]
    assert img == "/static/" + p["img/logo.png"]
    assert sri.startswith("sha384-")
    assert script == f'<script src="/static/{p["js/app.js"]}" integrity="{sri}" crossorigin="anonymous" defer></script>'
    assert preload.startswith(f'<link rel="modulepreload" href="/static/{p["js/modules/util.js"]}"')
    assert importmap.startswith('<script type="importmap">{"imports":')
    assert out["static"] == "/static/" + p["js/app.js"]
    url, tag = out["jinja"].split("|")
    assert url == "/static/" + p["js/app.js"]
    assert tag.startswith(f'<link rel="stylesheet" href="/static/{p["css/site.css"]}" integrity="sha384-')


def test_cdn_prefix_from_the_environment(project: Path) -> None:
    write_release(project / "release")
    proc = run(project, code=RENDER, ASSETBUILD_URL_PREFIX="https://cdn.example.com/s/")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["static"] == "https://cdn.example.com/s/" + paths(project / "release")["js/app.js"]


def test_unknown_name_in_static_tag_names_it(project: Path) -> None:
    write_release(project / "release")
    proc = run(project, code="""\
        import django
        django.setup()
        from django.template import engines
        engines["django"].from_string("{% load static %}{% static 'js/ap.js' %}").render({})
    """)
    assert proc.returncode != 0
    assert "AssetNotFound: asset 'js/ap.js' is not in" in proc.stderr
    assert "did you mean 'js/app.js'" in proc.stderr


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


def test_manage_py_check_reports_a_missing_release(project: Path) -> None:
    proc = run(project, "manage.py", "check")
    assert proc.returncode == 1
    assert "assetbuild.E001" in proc.stderr
    assert str(project / "release" / "manifest.json") + ": manifest not found" in proc.stderr


def test_manage_py_check_passes_with_a_release(project: Path) -> None:
    write_release(project / "release")
    proc = run(project, "manage.py", "check")
    assert proc.returncode == 0, proc.stderr
    assert "assetbuild" not in proc.stderr


def test_check_warns_when_static_is_not_fingerprinted(project: Path) -> None:
    write_release(project / "release")
    settings = (project / "settings.py").read_text(encoding="utf-8")
    (project / "settings.py").write_text(settings.replace(
        "assetbuild.django.ManifestStorage", "django.contrib.staticfiles.storage.StaticFilesStorage"))
    proc = run(project, "manage.py", "check")
    assert "assetbuild.W001" in proc.stderr


def test_explicit_manifest_setting_wins(project: Path) -> None:
    write_release(project / "elsewhere", {"a.css": b"a{}"}, modules=set())
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


def test_manage_py_assetbuild_refuses_prefixed_dirs(project: Path) -> None:
    (project / "assets").mkdir()
    with open(project / "settings.py", "a", encoding="utf-8") as fh:
        fh.write('STATICFILES_DIRS = [("vendor", BASE_DIR / "assets")]\n')
    proc = run(project, "manage.py", "assetbuild")
    assert proc.returncode == 1
    assert "CommandError: STATICFILES_DIRS entry ('vendor'" in proc.stderr
    assert "prefixed folders are not supported" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_manage_py_assetbuild_reports_build_errors_by_file(project: Path) -> None:
    css = project / "shop" / "static" / "shop" / "a.css"
    css.write_text('a { background: url("missing.png") }\n', encoding="utf-8")
    proc = run(project, "manage.py", "assetbuild", ASSETBUILD_STRICT="1")
    assert proc.returncode == 1, proc.stderr
    assert str(css) in proc.stderr and "missing.png" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "release" / "manifest.json").exists()
