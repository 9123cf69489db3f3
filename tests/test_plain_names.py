"""Copies under plain names (``plain_names``): written by the real CLI, checked by verify,
kept by clean, published with short caching, served by Flask and WhiteNoise."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli, write_tree

from assetbuild.manifest import ManifestError, parse

THEME = "tinymce/themes/silver/theme.min.js"
SKIN = "tinymce/skins/ui/oxide/skin.css"
SOURCES = {
    "static/tinymce/tinymce.js": "/* editor */ var  tinymce = { base : 'x' };\n" * 40,
    f"static/{THEME}": "window.theme  =  'silver';\n" * 40,
    f"static/{SKIN}": ".tox { background : url(../../../icons/x.svg) }\n" * 40,
    "static/tinymce/icons/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>",
    "static/css/site.css": "body { color : red }\n" * 40,
}
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"


def build(root: Path, *args: str, env: dict | None = None) -> dict:
    run_cli("compile", root / "static", "--out", root / "out", "--no-brotli", *args,
            cwd=root, env=env, check=True)
    return read_manifest(root / "out")["assets"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path, SOURCES)


@pytest.mark.e2e
def test_default_patterns_write_tinymce_under_plain_names(project: Path) -> None:
    assets = build(project)
    out = project / "out"
    for name in (THEME, SKIN, "tinymce/tinymce.js", "tinymce/icons/x.svg"):
        entry = assets[name]
        assert entry["plain"] == {"path": name, "encodings": {
            enc: name + {"gzip": ".gz"}[enc] for enc in entry["encodings"]}}
        assert (out / name).read_bytes() == (out / entry["path"]).read_bytes()
        for enc, variant in entry["plain"]["encodings"].items():
            assert (out / variant).read_bytes() == (out / entry["encodings"][enc]).read_bytes()
    assert assets[THEME]["plain"]["encodings"] == {"gzip": THEME + ".gz"}
    # The copy is the compiled file: minified, its references fingerprinted.
    skin = (out / SKIN).read_text()
    assert f"url(../../../{assets['tinymce/icons/x.svg']['path'].removeprefix('tinymce/')})" in skin
    assert "plain" not in assets["css/site.css"] and not (out / "css/site.css").exists()
    assert run_cli("verify", out, "--extra").returncode == 0


@pytest.mark.e2e
def test_patterns_from_the_config_file_the_command_line_and_the_environment(project: Path) -> None:
    (project / "assetbuild.toml").write_text('plain_names = ["css/*"]\n')
    assets = build(project)
    assert [n for n in assets if "plain" in assets[n]] == ["css/site.css"]
    assets = build(project, "--plain-names", "*.svg", "--plain-names", "tinymce/themes/**")
    assert sorted(n for n in assets if "plain" in assets[n]) == ["tinymce/icons/x.svg", THEME]
    assets = build(project, env={"ASSETBUILD_PLAIN_NAMES": "tinymce/skins"})  # a folder
    assert [n for n in assets if "plain" in assets[n]] == [SKIN]
    assets = build(project, "--no-plain-names")
    assert [n for n in assets if "plain" in assets[n]] == []
    (project / "assetbuild.toml").write_text("plain_names = []\n")
    assets = build(project)
    assert [n for n in assets if "plain" in assets[n]] == []


@pytest.mark.e2e
def test_a_bad_pattern_list_is_one_line_naming_the_setting(project: Path) -> None:
    (project / "assetbuild.toml").write_text('plain_names = ["tinymce/**", 3]\n')
    proc = run_cli("compile", project / "static", "--out", project / "out", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"assetbuild: error: {project / 'assetbuild.toml'}: plain_names: expected a list of "
        "strings, got ['tinymce/**', 3]"]


@pytest.mark.e2e
def test_a_rebuild_replaces_changed_copies_and_leaves_unchanged_ones_alone(project: Path) -> None:
    out = project / "out"
    first = build(project)
    skin_inode = (out / SKIN).stat().st_ino
    theme_gz = (out / (THEME + ".gz")).stat().st_ino
    assert build(project) == first
    assert (out / SKIN).stat().st_ino == skin_inode  # nothing rewritten
    (project / "static" / THEME).write_text("window.theme = 'dark';\n" * 40)
    second = build(project)
    assert second[THEME]["path"] != first[THEME]["path"]
    assert (out / first[THEME]["path"]).is_file()  # the old release's file stays for rolling deploys
    assert (out / THEME).read_bytes() == (out / second[THEME]["path"]).read_bytes()
    assert gzip.decompress((out / (THEME + ".gz")).read_bytes()) == (out / THEME).read_bytes()
    assert (out / (THEME + ".gz")).stat().st_ino != theme_gz
    assert (out / SKIN).stat().st_ino == skin_inode


@pytest.mark.e2e
def test_a_variant_this_build_does_not_have_is_removed(project: Path) -> None:
    out = project / "out"
    assert (out / THEME).exists() is False
    build(project)
    assert (out / (THEME + ".gz")).is_file()
    assets = build(project, "--no-gzip")
    assert assets[THEME]["plain"] == {"path": THEME, "encodings": {}}
    assert not (out / (THEME + ".gz")).exists()  # it would be served for the new bytes
    assert (out / assets[THEME]["path"]).is_file()


@pytest.mark.e2e
def test_a_copy_never_replaces_a_file_of_the_release(tmp_path: Path) -> None:
    write_tree(tmp_path, {"static/manifest.json": "{}", "static/a.js": "var a = 1;\n"})
    proc = run_cli("compile", tmp_path / "static", "--out", tmp_path / "out",
                   "--plain-names", "*", check=True)
    assert "manifest.json: warning: not written under its plain name: manifest.json is a " \
           "file of the release already" in proc.stderr
    assets = read_manifest(tmp_path / "out")["assets"]
    assert "plain" not in assets["manifest.json"] and assets["a.js"]["plain"]["path"] == "a.js"
    assert run_cli("verify", tmp_path / "out", "--extra").returncode == 0


@pytest.mark.e2e
def test_verify_checks_copies_like_every_other_file(project: Path) -> None:
    out = project / "out"
    build(project)
    (out / THEME).unlink()  # a hard link to the fingerprinted file, where the disk allows
    (out / THEME).write_text("window.theme = 'tampered';\n" * 40)
    (out / (SKIN + ".gz")).unlink()
    proc = run_cli("verify", out)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert f"corrupt: {THEME}: content does not match its sha384 integrity (asset '{THEME}')" \
        in lines
    assert f"missing: {SKIN}.gz: not in the release folder (asset '{SKIN}')" in lines


@pytest.mark.e2e
def test_clean_keeps_the_current_copies_and_drops_ones_no_kept_manifest_names(project: Path) -> None:
    out = project / "out"
    build(project)
    build(project, "--plain-names", "tinymce/themes/**")
    run_cli("clean", out, "--keep", "1", check=True)
    assert (out / THEME).is_file() and (out / (THEME + ".gz")).is_file()
    assert not (out / SKIN).exists() and not (out / "tinymce/tinymce.js").exists()
    assert run_cli("verify", out, "--extra").returncode == 0


@pytest.mark.parametrize("text", [
    '{"path": "../x.js"}', '{"path": "a.js", "encodings": {"gzip": "/etc/passwd"}}', '"a.js"'])
def test_a_manifest_with_a_bad_plain_field_is_refused(text: str) -> None:
    manifest = ('{"version": 1, "assets": {"a.js": {"path": "a.1.js", "size": 1, '
                f'"integrity": "sha384-x", "encodings": {{}}, "plain": {text}}}}}}}')
    with pytest.raises(ManifestError) as caught:
        parse(manifest, "m.json")
    assert str(caught.value) == ("m.json: asset 'a.js': plain must be an object with a relative "
                                 "path and encodings inside the release")


@pytest.mark.e2e
@pytest.mark.slow  # a moto S3 server, like tests/test_publish.py
def test_publish_uploads_copies_with_short_caching_and_again_when_they_change(project: Path, tmp_path) -> None:
    from support.s3servers import start_moto

    (tmp_path / "moto").mkdir()
    server = start_moto(tmp_path / "moto")
    try:
        client = server.client()
        client.create_bucket(Bucket="assets")
        out = project / "out"
        first = build(project)
        publish = ["publish", out, "--to", "s3://assets/static", "--endpoint-url", server.endpoint]
        run_cli(*publish, env=server.env(), check=True)
        for key, cache in ((THEME, SHORT), (THEME + ".gz", SHORT), (first[THEME]["path"], IMMUTABLE)):
            head = client.head_object(Bucket="assets", Key=f"static/{key}")
            assert head["CacheControl"] == cache, key
        again = run_cli(*publish, env=server.env(), check=True)
        assert "uploaded 0 files, 18 already there" in again.stdout
        # Same size, other bytes: only the bytes tell that the copy changed.
        (project / "static" / THEME).write_text("window.theme  =  'summer';\n" * 40)
        second = build(project)
        assert second[THEME]["size"] == first[THEME]["size"]
        run_cli(*publish, env=server.env(), check=True)
        body = client.get_object(Bucket="assets", Key=f"static/{THEME}")["Body"].read()
        assert body == (out / THEME).read_bytes() and b"summer" in body
    finally:
        server.stop()


@pytest.mark.e2e
def test_flask_serves_copies_with_short_caching(project: Path) -> None:
    from flask import Flask

    from assetbuild.flask import AssetBuild

    assets = build(project)
    app = Flask(__name__, root_path=str(project))
    app.config["ASSETBUILD_MANIFEST"] = "out/manifest.json"
    AssetBuild(app)
    client = app.test_client()
    out = project / "out"
    plain = client.get(f"/static/{THEME}", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.data == (out / THEME).read_bytes()
    assert plain.headers["Cache-Control"] == SHORT
    zipped = client.get(f"/static/{THEME}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.data == (out / (THEME + ".gz")).read_bytes()
    assert zipped.headers["Cache-Control"] == SHORT
    hashed = client.get(f"/static/{assets[THEME]['path']}")
    assert hashed.headers["Cache-Control"] == IMMUTABLE
    assert client.get("/static/css/site.css").status_code == 404  # not a plain name


DJANGO_SETTINGS = """\
from pathlib import Path
from assetbuild.django.whitenoise import immutable_file_test
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "assetbuild.django"]
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "out"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_IMMUTABLE_FILE_TEST = immutable_file_test
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "assetbuild.django.ManifestStorage"}}
ROOT_URLCONF = "urls"
"""


@pytest.mark.e2e
def test_whitenoise_serves_copies_with_short_caching(project: Path) -> None:
    pytest.importorskip("whitenoise")
    (project / "settings.py").write_text(DJANGO_SETTINGS)
    (project / "urls.py").write_text("urlpatterns = []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="settings",
               PYTHONPATH=os.pathsep.join([str(project), env.get("PYTHONPATH", "")]))
    (project / "manage.py").write_text("import sys\nfrom django.core.management import "
                                       "execute_from_command_line\n"
                                       "execute_from_command_line(sys.argv)\n")
    built = subprocess.run([sys.executable, "manage.py", "assetbuild"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    hashed = read_manifest(project / "out")["assets"][THEME]["path"]
    code = textwrap.dedent(f"""\
        import json, django
        django.setup()
        from django.test import Client
        client = Client()
        print(json.dumps([client.get(path, HTTP_ACCEPT_ENCODING=coding).headers.get(header)
                          for path, coding, header in [
            ("/static/{THEME}", "identity", "Cache-Control"),
            ("/static/{THEME}", "gzip", "Cache-Control"),
            ("/static/{THEME}", "gzip", "Content-Encoding"),
            ("/static/{hashed}", "identity", "Cache-Control")]]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["max-age=60, public", "max-age=60, public", "gzip",
                                       "max-age=315360000, public, immutable"]


@pytest.mark.e2e
def test_a_build_taken_from_the_cache_puts_back_copies_another_build_replaced(project: Path) -> None:
    out, cache = project / "out", project / "cache"
    assets = build(project, "--cache", cache)
    # As a build killed after writing its copies, before its manifest, leaves them.
    other = (out / THEME).read_bytes().replace(b"silver", b"sunset")  # the same size
    (out / THEME).unlink()
    (out / THEME).write_bytes(other)
    (out / (SKIN + ".gz")).unlink()
    (out / (SKIN + ".gz")).write_bytes(gzip.compress(b"stale"))
    proc = run_cli("compile", project / "static", "--out", out, "--no-brotli", "--cache", cache,
                   "--json", "-", cwd=project, check=True)
    assert set(json.loads(proc.stdout)["timings"]) == {"scan", "check"}  # nothing built
    assert (out / THEME).read_bytes() == (out / assets[THEME]["path"]).read_bytes()
    assert run_cli("verify", out, "--extra").returncode == 0


def test_the_default_patterns_cover_the_loaders_where_they_are_installed() -> None:
    from assetbuild.config import DEFAULT_PLAIN_NAMES
    from assetbuild.plain import matcher

    matches = matcher(DEFAULT_PLAIN_NAMES)
    assert [n for n in [
        "tinymce/plugins/table/plugin.min.js", "ace-builds/src-min-noconflict/mode-python.js",
        "mathjax/es5/input/tex/extensions/ams.js", "monaco-editor/min/vs/loader.js",
        "monaco-editor/esm/vs/editor/editor.api.js", "vendor/tinymce/tinymce.min.js",
        "js/tinymce-setup.js", "tinymce.js",
    ] if matches(n)] == ["tinymce/plugins/table/plugin.min.js",
                         "ace-builds/src-min-noconflict/mode-python.js",
                         "mathjax/es5/input/tex/extensions/ams.js", "monaco-editor/min/vs/loader.js"]
