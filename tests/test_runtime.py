"""assetbuild.runtime: loading a release once and answering from memory."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.nofiles import no_file_access
from support.release import SAMPLE, make_release, paths, sample_release, sri

from assetbuild import runtime
from assetbuild.manifest import ManifestError
from assetbuild.runtime import AssetNotFound, Assets

NO_ENV: dict[str, str] = {}


@pytest.fixture
def release(tmp_path: Path) -> Path:
    sample_release(tmp_path / "release")
    return tmp_path / "release"


def test_url_and_integrity_come_from_the_manifest(release: Path) -> None:
    assets = Assets.load(release / "manifest.json", environ=NO_ENV)
    path = paths(release)["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{16}\.css", path)
    assert assets.url("css/site.css") == "/static/" + path
    assert assets.integrity("css/site.css") == sri((release / path).read_bytes())
    assert assets.is_fingerprinted(path) and not assets.is_fingerprinted("css/site.css")
    assert "js/app.js" in assets and "js/nope.js" not in assets


def test_a_release_folder_works_as_the_manifest_argument(release: Path) -> None:
    assert Assets.load(release, environ=NO_ENV).url("js/app.js").startswith("/static/js/app.")


def test_url_prefix_from_argument_environment_or_default(release: Path) -> None:
    env = {"ASSETBUILD_MANIFEST": str(release), "ASSETBUILD_URL_PREFIX": "https://cdn.example.com/static"}
    path = paths(release)["js/app.js"]
    assert Assets.load(environ=env).url("js/app.js") == "https://cdn.example.com/static/" + path
    assert Assets.load(url_prefix="/assets/", environ=env).url("js/app.js") == "/assets/" + path
    assert Assets.load(release, environ=NO_ENV).url("js/app.js") == "/static/" + path


def test_names_with_spaces_are_percent_encoded(tmp_path: Path) -> None:
    make_release(tmp_path, {"img/my logo.png": b"x"}, modules=())
    url = Assets.load(tmp_path, environ=NO_ENV).url("img/my logo.png")
    assert url.startswith("/static/img/my%20logo.") and " " not in url


def test_unknown_name_is_named_with_close_matches(release: Path) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    with pytest.raises(AssetNotFound) as info:
        assets.url("css/sight.css")
    message = str(info.value)
    assert "'css/sight.css'" in message and "manifest.json" in message
    assert "did you mean 'css/site.css'" in message
    with pytest.raises(AssetNotFound, match="'zzz' is not in"):
        assets.integrity("zzz")


def test_missing_manifest_names_the_file_and_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        Assets.load(tmp_path / "build" / "manifest.json", environ=NO_ENV)
    assert str(tmp_path / "build" / "manifest.json") in str(info.value)
    assert "assetbuild compile" in str(info.value)


def test_no_manifest_configured_says_what_to_set() -> None:
    with pytest.raises(ManifestError, match="ASSETBUILD_MANIFEST.*assetbuild compile"):
        Assets.load(environ=NO_ENV)


def test_corrupt_manifest_names_the_file(release: Path) -> None:
    (release / "manifest.json").write_text('{"version": 1, "assets": {', encoding="utf-8")
    with pytest.raises(ManifestError, match=re.escape(str(release / "manifest.json")) + ".*not valid JSON"):
        Assets.load(release, environ=NO_ENV)


def test_manifest_paths_escaping_the_release_are_refused(release: Path) -> None:
    data = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    data["assets"]["js/app.js"]["path"] = "../../etc/passwd"
    (release / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ManifestError, match="not a relative path inside the release"):
        Assets.load(release, environ=NO_ENV)


@pytest.mark.parametrize("target", ["./../secret.js", "https://evil.example/x.js", "/abs.js"])
def test_importmap_urls_outside_the_release_are_refused(release: Path, target: str) -> None:
    (release / "importmap.json").write_text(json.dumps({"imports": {"x": target}}), encoding="utf-8")
    with pytest.raises(ManifestError, match=re.escape(str(release / "importmap.json"))):
        Assets.load(release, environ=NO_ENV)


def test_corrupt_importmap_fails_at_load(release: Path) -> None:
    (release / "importmap.json").write_text("[", encoding="utf-8")
    with pytest.raises(ManifestError, match="importmap.json: not valid JSON"):
        Assets.load(release, environ=NO_ENV)


def test_tags_carry_integrity_and_crossorigin(release: Path) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    p = paths(release)
    css = assets.tag("css/site.css")
    assert css == (f'<link rel="stylesheet" href="/static/{p["css/site.css"]}" '
                   f'integrity="{assets.integrity("css/site.css")}" crossorigin="anonymous">')
    assert assets.tag("js/app.js", defer=True) == (
        f'<script src="/static/{p["js/app.js"]}" integrity="{assets.integrity("js/app.js")}" '
        'crossorigin="anonymous" defer></script>')
    assert assets.tag("js/modules/main.js") == (
        f'<script type="module" src="/static/{p["js/modules/main.js"]}" '
        f'integrity="{sri(SAMPLE["js/modules/main.js"])}" crossorigin="anonymous"></script>')
    assert assets.tag("js/modules/util.js", "modulepreload") == (
        f'<link rel="modulepreload" href="/static/{p["js/modules/util.js"]}" '
        f'integrity="{sri(SAMPLE["js/modules/util.js"])}" crossorigin="anonymous">')


def test_tag_attributes_are_escaped_and_validated(release: Path) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    tag = assets.tag("js/app.js", nonce='a"><script>x', data_role="main", async_=False)
    assert 'nonce="a&quot;&gt;&lt;script&gt;x"' in tag and 'data-role="main"' in tag
    assert "async" not in tag
    with pytest.raises(ValueError, match="not a valid HTML attribute name"):
        assets.tag("js/app.js", **{"on load": "x"})
    with pytest.raises(ValueError, match="no tag for asset 'img/logo.png'"):
        assets.tag("img/logo.png")
    with pytest.raises(ValueError, match="kind 'image'"):
        assets.tag("css/site.css", "image")


def test_importmap_tag_maps_bare_and_relative_specifiers(release: Path) -> None:
    assets = Assets.load(release, url_prefix="https://cdn.example.com/s/", environ=NO_ENV)
    p = paths(release)
    tag = assets.importmap_tag(nonce="n1")
    body = re.fullmatch(r'<script type="importmap" nonce="n1">(.*)</script>', tag).group(1)
    data = json.loads(body)
    util = "https://cdn.example.com/s/" + p["js/modules/util.js"]
    assert data["imports"]["js/modules/util.js"] == util
    assert data["imports"]["https://cdn.example.com/s/js/modules/util.js"] == util
    assert data["integrity"][util] == assets.integrity("js/modules/util.js")
    assert "js/app.js" not in data["imports"]  # a classic script, not a module


def test_importmap_json_cannot_close_the_script_element(tmp_path: Path) -> None:
    make_release(tmp_path, {"js/</script><b>.js": b"export {}"}, modules=("js/</script><b>.js",))
    tag = Assets.load(tmp_path, environ=NO_ENV).importmap_tag()
    assert tag.count("</script>") == 1 and "<b>" not in tag
    data = json.loads(tag[len('<script type="importmap">'):-len("</script>")])
    assert "js/</script><b>.js" in data["imports"]


def test_release_without_importmap_explains_at_render(release: Path) -> None:
    (release / "importmap.json").unlink()
    assets = Assets.load(release, environ=NO_ENV)
    assert assets.url("js/app.js")
    with pytest.raises(ManifestError, match="no importmap.json beside it"):
        assets.importmap_tag()


def test_after_loading_no_file_is_touched(release: Path) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    with no_file_access():
        with pytest.raises(OSError):
            open(release / "manifest.json").close()  # the guard works
        assert assets.url("css/site.css").startswith("/static/css/site.")
        assert assets.integrity("js/app.js") == sri(SAMPLE["js/app.js"])
        assert "integrity=" in assets.tag("js/modules/main.js")
        assert "importmap" in assets.importmap_tag()
        with pytest.raises(AssetNotFound):
            assets.url("missing.css")


def test_default_release_loads_once_from_the_environment(release: Path) -> None:
    runtime.set_default(None)
    try:
        first = runtime.get_default({"ASSETBUILD_MANIFEST": str(release)})
        assert runtime.get_default({}) is first
    finally:
        runtime.set_default(None)


@pytest.mark.e2e
def test_run_time_imports_no_compiler_module(release: Path) -> None:
    """A Django app and a Flask app serving the release, import nothing of the build side:
    only the modules allowed here (a new run-time module joins the list on purpose)."""
    code = textwrap.dedent(f"""
        import sys
        import django
        from django.conf import settings
        settings.configure(INSTALLED_APPS=["django.contrib.staticfiles", "assetbuild.django"],
                           STATIC_URL="/static/", ASSETBUILD_MANIFEST={str(release)!r},
                           STORAGES={{"staticfiles": {{"BACKEND": "assetbuild.django.ManifestStorage"}}}},
                           TEMPLATES=[{{"BACKEND": "django.template.backends.django.DjangoTemplates",
                                        "APP_DIRS": True}}])
        django.setup()
        import assetbuild.runtime, assetbuild.jinja
        import assetbuild.django.storage, assetbuild.django.templatetags.assetbuild
        import assetbuild.django.finders
        from assetbuild.django.whitenoise import immutable_file_test
        from django.template import engines
        page = engines["django"].from_string(
            "{{% load static assetbuild %}}{{% asset_url 'js/app.js' %}} {{% static 'css/site.css' %}}"
        ).render({{}})
        assert page.count("/static/") == 2 and "/static/js/app.js" not in page, page
        immutable_file_test("", page.split()[0])

        from flask import Flask, render_template_string
        from assetbuild.flask import AssetBuild
        app = Flask("site", root_path={str(release.parent)!r})
        app.config.update(ASSETBUILD_MANIFEST={str(release / "manifest.json")!r})
        AssetBuild(app)
        app.add_url_rule("/", "index", lambda: render_template_string(
            "{{{{ asset_tag('css/site.css') }}}}{{{{ url_for('static', filename='js/app.js') }}}}"))
        client = app.test_client()
        assert client.get("/").status_code == 200
        fingerprinted = page.split()[1][len("/static/"):]
        assert client.get("/static/" + fingerprinted).status_code == 200

        banned = ("rjsmin", "rcssmin", "blake3")
        runtime = {{"assetbuild", "assetbuild.runtime", "assetbuild.manifest",
                    "assetbuild.media_types", "assetbuild.importmap", "assetbuild.jinja",
                    "assetbuild.flask", "assetbuild.django", "assetbuild.django.apps",
                    "assetbuild.django.process", "assetbuild.django.checks",
                    "assetbuild.django.storage", "assetbuild.django.finders",
                    "assetbuild.django.whitenoise", "assetbuild.django.templatetags",
                    "assetbuild.django.templatetags.assetbuild"}}
        print(sorted(m for m in sys.modules if m.split(".")[0] in banned
                     or m.startswith("assetbuild") and m not in runtime))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_warn_mode_logs_an_unknown_name_once_and_falls_back(release: Path, caplog) -> None:
    assets = Assets.load(release, environ=NO_ENV, missing="warn")
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        assert assets.url("css/sight.css") == "/static/css/sight.css"
        assert assets.url("css/sight.css") == "/static/css/sight.css"
        assert assets.integrity("css/sight.css") == ""
        assert assets.tag("css/sight.css") == (
            '<link rel="stylesheet" href="/static/css/sight.css" crossorigin="anonymous">')
        assert assets.url("img/my logo.png") == "/static/img/my%20logo.png"
        assert assets.path("img/my logo.png") == "img/my logo.png"
    assert [r.getMessage() for r in caplog.records] == [
        f"asset 'css/sight.css' is not in {release / 'manifest.json'}; did you mean 'css/site.css'?",
        f"asset 'img/my logo.png' is not in {release / 'manifest.json'}; did you mean 'img/logo.png'?"]
    assert assets.url("css/site.css") == "/static/" + paths(release)["css/site.css"]
    with pytest.raises(AssetNotFound):  # entry() has no fallback: there is no entry to give
        assets.entry("css/sight.css")


def test_missing_mode_from_argument_environment_or_default(release: Path) -> None:
    assert Assets.load(release, environ=NO_ENV).missing == "error"
    assert Assets.load(release, environ={"ASSETBUILD_MISSING": "warn"}).missing == "warn"
    assert Assets.load(release, environ={"ASSETBUILD_MISSING": "warn"}, missing="error").missing == "error"
    with pytest.raises(AssetNotFound):
        Assets.load(release, environ={"ASSETBUILD_MISSING": "error"}).tag("js/nope.js")
    with pytest.raises(ValueError, match="ASSETBUILD_MISSING must be 'error', 'warn' or 'plain', not 'loud'"):
        Assets.load(release, environ={"ASSETBUILD_MISSING": "loud"})


def test_plain_mode_holds_outside_debug_too(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        assert runtime.missing_mode("plain", debug=False, environ=NO_ENV) == "plain"
        assert runtime.missing_mode(None, debug=False, environ={"ASSETBUILD_MISSING": "Plain"}) == "plain"
    assert caplog.records == []


@pytest.mark.parametrize("suffix", ["#home", "?v=2", "?v=2#x", "?#iefix"])
def test_query_and_fragment_after_a_name_are_kept(release: Path, suffix: str) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    assert assets.url("img/logo.png" + suffix) == "/static/" + paths(release)["img/logo.png"] + suffix
    with pytest.raises(AssetNotFound, match="asset 'img/lgo.png' is not in"):
        assets.url("img/lgo.png" + suffix)
    fallback = Assets.load(release, environ=NO_ENV, missing="warn")
    assert fallback.url("img/lgo.png" + suffix) == "/static/img/lgo.png" + suffix


def test_a_query_is_escaped_where_it_could_leave_an_attribute(release: Path) -> None:
    assets = Assets.load(release, environ=NO_ENV)
    assert assets.url("""img/logo.png?a="'><b c""") == (
        "/static/" + paths(release)["img/logo.png"] + "?a=%22%27%3E%3Cb%20c")


def test_warn_mode_outside_debug_stays_an_error_and_says_so(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        assert runtime.missing_mode("warn", debug=False, environ=NO_ENV) == "error"
        assert runtime.missing_mode("warn", debug=True, environ=NO_ENV) == "warn"
        assert runtime.missing_mode(None, debug=True, environ=NO_ENV) == "error"
    assert [r.getMessage() for r in caplog.records] == [
        "ASSETBUILD_MISSING = 'warn' is ignored outside debug mode: an unknown asset name "
        "stays an error"]


@pytest.mark.parametrize("name", ['x"><script>alert(1)</script>.js', "//evil.example/a.js",
                                  "../../../etc/passwd.js", "a b\n.js"])
def test_warn_mode_fallback_urls_keep_the_origin_and_the_attribute(release: Path, name: str) -> None:
    assets = Assets.load(release, url_prefix="https://cdn.example.com/s/", environ=NO_ENV,
                         missing="warn")
    url = assets.url(name)
    assert url.startswith("https://cdn.example.com/s/")
    assert not any(ch in url[len("https://cdn.example.com/s/"):] for ch in "\"'<>?# \n:")
    tag = assets.tag(name)
    assert tag == f'<script src="{url}" crossorigin="anonymous"></script>'


@pytest.mark.parametrize("text, value", [
    ("1", True), ("true", True), (" Yes ", True), ("ON", True),
    ("0", False), ("false", False), ("No", False), ("off\n", False),
    ("maybe", None), ("2", None), ("y", None), ("  ", None),
])
def test_on_off_words_are_read_alike_everywhere(text: str, value: bool | None) -> None:
    """runtime.parse_bool reads ASSETBUILD_RELOAD and pyproject's booleans alike."""
    assert runtime.parse_bool(text) is value
    if value is None:
        with pytest.raises(ValueError, match=f"ASSETBUILD_RELOAD must be true or false, not {text!r}"):
            runtime.flag(None, "ASSETBUILD_RELOAD", False, {"ASSETBUILD_RELOAD": text})
    else:
        assert runtime.flag(None, "ASSETBUILD_RELOAD", not value, {"ASSETBUILD_RELOAD": text}) is value
