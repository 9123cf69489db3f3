"""Reloading a rebuilt release in development: Assets.load(reload=True) and the Flask and
Django switches, each fed by the real compiler (`assetbuild compile` or `assetbuild watch`)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli, write_tree
from support.release import sri

from assetbuild.runtime import RELOAD_INTERVAL, Assets, ReloadingAssets

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # waits for running apps to notice rebuilds

TESTS = Path(__file__).resolve().parent
SOURCES = {
    "css/site.css": "body { color: black }\n",
    "js/util.js": "export const answer = 41;\n",
    "js/main.js": 'import { answer } from "./util.js";\nconsole.log(answer);\n',
}


def compile_release(src: Path, out: Path) -> dict:
    run_cli("compile", src, "--out", out, "--no-gzip", "--no-brotli", "-q", check=True)
    return read_manifest(out)["assets"]


def wait_for_next_look() -> None:
    time.sleep(RELOAD_INTERVAL + 0.1)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    src = write_tree(tmp_path / "src", SOURCES)
    out = tmp_path / "out"
    compile_release(src, out)
    return src, out


def test_a_reloading_release_follows_a_recompile(built) -> None:
    src, out = built
    reloading = Assets.load(out, environ={}, reload=True)
    fixed = Assets.load(out, environ={})
    old_css, old_map = reloading.url("css/site.css"), reloading.importmap_tag()
    assert fixed.url("css/site.css") == old_css

    (src / "css/site.css").write_text("body { color: red }\n")
    (src / "js/util.js").write_text("export const answer = 42;\n")
    assets = compile_release(src, out)
    wait_for_next_look()

    css = assets["css/site.css"]
    assert reloading.url("css/site.css") == "/static/" + css["path"] != old_css
    assert reloading.integrity("css/site.css") == css["integrity"] == sri((out / css["path"]).read_bytes())
    assert reloading.entry("css/site.css").path == css["path"]
    assert f'href="/static/{css["path"]}"' in reloading.tag("css/site.css")
    assert reloading.is_fingerprinted(css["path"])
    new_map = reloading.importmap_tag()
    assert new_map != old_map and "/static/" + assets["js/util.js"]["path"] in new_map
    # Without reload, nothing changes.
    assert fixed.url("css/site.css") == old_css and fixed.importmap_tag() == old_map


def test_a_broken_manifest_keeps_the_last_release_and_warns_once(built, caplog) -> None:
    src, out = built
    assets = Assets.load(out, environ={}, reload=True)
    good = assets.url("css/site.css")
    (out / "manifest.json").write_text('{"version": 1, "assets": {', encoding="utf-8")
    wait_for_next_look()
    with caplog.at_level(logging.WARNING, logger="assetbuild"):
        assert assets.url("css/site.css") == good
        wait_for_next_look()
        assert assets.url("css/site.css") == good and "js/main.js" in assets
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1, warned
    assert warned[0].startswith(str(out / "manifest.json") + ": not valid JSON")
    assert "still serving the previous release" in warned[0]

    (src / "css/site.css").write_text("body { color: green }\n")  # a fixed build is picked up
    fixed = compile_release(src, out)
    wait_for_next_look()
    assert assets.url("css/site.css") == "/static/" + fixed["css/site.css"]["path"] != good


def test_warn_mode_falls_back_until_a_rebuild_adds_the_name(built, caplog) -> None:
    src, out = built
    assets = Assets.load(out, environ={}, reload=True, missing="warn")
    assert isinstance(assets, ReloadingAssets)
    with caplog.at_level(logging.WARNING, logger="assetbuild.runtime"):
        assert assets.url("css/new.css") == "/static/css/new.css"
        assert assets.tag("css/new.css") == (
            '<link rel="stylesheet" href="/static/css/new.css" crossorigin="anonymous">')
    assert [r.getMessage() for r in caplog.records] == [
        f"asset 'css/new.css' is not in {out / 'manifest.json'}; did you mean 'css/site.css'?"]

    (src / "css/new.css").write_text("p { color: blue }\n")
    new = compile_release(src, out)["css/new.css"]
    wait_for_next_look()
    assert assets.url("css/new.css") == "/static/" + new["path"]
    assert f'integrity="{new["integrity"]}"' in assets.tag("css/new.css")


def test_threads_see_one_whole_release_per_lookup(built) -> None:
    src, out = built
    assets = Assets.load(out, environ={}, reload=True)
    tags: set[str] = set()
    stop = threading.Event()

    def render() -> None:
        while not stop.is_set():
            tags.add(assets.tag("css/site.css"))

    threads = [threading.Thread(target=render) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for color in ("red", "green"):
            (src / "css/site.css").write_text(f"body {{ color: {color} }}\n")
            compile_release(src, out)
            wait_for_next_look()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert len(tags) == 3, tags  # black, red, green
    for tag in tags:  # each tag's integrity is that of the file it links to
        href, integrity = re.search(r'href="/static/([^"]+)" integrity="([^"]+)"', tag).groups()
        assert sri((out / href).read_bytes()) == integrity


@pytest.mark.parametrize("value, reloading", [("1", True), ("true", True), ("off", False),
                                              ("", False)])
def test_reload_from_the_environment(built, value: str, reloading: bool) -> None:
    _, out = built
    assets = Assets.load(out, environ={"ASSETBUILD_RELOAD": value})
    assert isinstance(assets, ReloadingAssets) is reloading
    # An explicit argument wins over the environment.
    assert not isinstance(Assets.load(out, environ={"ASSETBUILD_RELOAD": value}, reload=False),
                          ReloadingAssets)


def test_a_bad_reload_value_is_named(built) -> None:
    with pytest.raises(ValueError, match="ASSETBUILD_RELOAD must be true or false, not 'maybe'"):
        Assets.load(built[1], environ={"ASSETBUILD_RELOAD": "maybe"})


# Flask: a real `assetbuild watch` beside the app, a real app through the test client.

FLASK_CASES = {  # config -> whether the app follows rebuilds
    "debug": ({"DEBUG": True}, True),
    "production": ({}, False),
    "debug, reload off": ({"DEBUG": True, "ASSETBUILD_RELOAD": False}, False),
    "production, reload on": ({"ASSETBUILD_RELOAD": True}, True),
}


def flask_app(root: Path, config: dict):
    from flask import Flask, render_template_string

    from assetbuild.flask import AssetBuild

    app = Flask(__name__, root_path=str(root))
    app.config.update(ASSETBUILD_MANIFEST="build/static/manifest.json", **config)
    AssetBuild(app)
    app.add_url_rule("/", "index", lambda: render_template_string(
        "<link rel=stylesheet href=\"{{ url_for('static', filename='css/site.css') }}\">"))
    return app


def stylesheet(client) -> str:
    return re.search(r'href="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)


def test_flask_in_debug_mode_follows_assetbuild_watch(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("watchfiles")
    pytest.importorskip("flask")
    from support.watching import Watch

    monkeypatch.delenv("ASSETBUILD_RELOAD", raising=False)
    root = write_tree(tmp_path / "app", {f"assets/{k}": v for k, v in SOURCES.items()})
    watch = Watch(root, "assets", "--out", "build/static", "--no-gzip", "--no-brotli")
    try:
        watch.wait_for("watching")
        clients = {case: flask_app(root, config).test_client()
                   for case, (config, _) in FLASK_CASES.items()}
        old = {case: stylesheet(client) for case, client in clients.items()}
        assert len(set(old.values())) == 1

        (root / "assets/css/site.css").write_text("body { color: rebeccapurple }\n")
        deadline = time.monotonic() + 20
        while stylesheet(clients["debug"]) == old["debug"]:
            assert time.monotonic() < deadline, "".join(watch.lines + watch.errors)
            time.sleep(0.1)
        new = read_manifest(root / "build/static")["assets"]["css/site.css"]["path"]
        assert stylesheet(clients["debug"]) == f"/static/{new}"
        wait_for_next_look()  # every reloading app has looked again by now

        for case, (_, follows) in FLASK_CASES.items():
            client = clients[case]
            assert stylesheet(client) == (f"/static/{new}" if follows else old[case]), case
            # The static route serves the files of the release the app uses.
            response = client.get(f"/static/{new}")
            assert response.status_code == (200 if follows else 404), case
            if follows:
                assert b"rebeccapurple" in response.data
            else:
                assert client.get(old[case]).status_code == 200, case
    finally:
        watch.stop()


# Django: each project runs in its own process (settings are configured once per process).

DJANGO_SETTINGS = """\
SECRET_KEY = "test"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "assetbuild.django"]
STATIC_URL = "/static/"
STATIC_ROOT = {release!r}
STORAGES = {{"default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
            "staticfiles": {{"BACKEND": "assetbuild.django.ManifestStorage"}}}}
"""

RECOMPILE = """\
import json, subprocess, sys, time
import django
django.setup()
from django.templatetags.static import static
from assetbuild.runtime import RELOAD_INTERVAL
src, release = sys.argv[1:]
before = static("css/site.css")
with open(src + "/css/site.css", "w") as fh:
    fh.write("body { color: teal }\\n")
subprocess.run([sys.executable, "-m", "assetbuild", "compile", src, "--out", release, "-q"],
               check=True)
time.sleep(RELOAD_INTERVAL + 0.1)
print(json.dumps([before, static("css/site.css")]))
"""


@pytest.mark.parametrize("settings, follows", [
    ("DEBUG = True", True),
    ("DEBUG = False", False),
    ("DEBUG = True\nASSETBUILD_RELOAD = False", False),
])
def test_django_storage_follows_a_recompile_in_debug(built, tmp_path: Path, settings: str,
                                                      follows: bool) -> None:
    pytest.importorskip("django")
    src, out = built
    project = tmp_path / "project"
    project.mkdir()
    (project / "settings.py").write_text(DJANGO_SETTINGS.format(release=str(out)) + settings + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=str(project))
    proc = subprocess.run([sys.executable, "-c", RECOMPILE, str(src), str(out)], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    before, after = json.loads(proc.stdout)
    new = "/static/" + read_manifest(out)["assets"]["css/site.css"]["path"]
    assert before != new
    assert after == (new if follows else before)
