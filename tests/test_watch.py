"""`assetbuild watch`: edit files under a running watcher and read the manifest."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.cli import read_manifest, write_tree
from support.watching import Watch

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # waits for `assetbuild watch` to notice saves

pytest.importorskip("watchfiles")

APP = {
    "assetbuild.toml": 'sources = ["static"]\nout = "build/static"\nstrict = true\n',
    "static/css/base.css": "body { color: black }\n",
    "static/css/site.css": '@import "base.css";\n.logo { background: url("../img/logo.svg") }\n',
    "static/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "static/js/app.js": "console.log('hello')\n",
}


@pytest.fixture
def watching(tmp_path):
    started: list[Watch] = []

    def start(files: dict[str, str] = APP, *args: str) -> tuple[Watch, Path]:
        app = write_tree(tmp_path / "app", files)
        watch = Watch(app, *args)
        started.append(watch)
        watch.wait_for("watching")
        return watch, app

    yield start
    for watch in started:
        watch.stop()


def wait_manifest(out: Path, changed, timeout: float = 20) -> dict:
    """Poll manifest.json until *changed(manifest)* holds."""
    deadline = time.monotonic() + timeout
    while True:
        manifest = read_manifest(out)
        if changed(manifest):
            return manifest
        if time.monotonic() > deadline:
            raise AssertionError(f"manifest did not change: {json.dumps(manifest)[:2000]}")
        time.sleep(0.05)


def test_a_save_rebuilds_the_file_and_what_references_it(watching):
    watch, app = watching()
    out = app / "build" / "static"
    before = read_manifest(out)["assets"]

    (app / "static/css/base.css").write_text("body { color: navy }\n")
    after = wait_manifest(out, lambda m: m["assets"]["css/base.css"] != before["css/base.css"])
    after = after["assets"]
    assert "navy" in (out / after["css/base.css"]["path"]).read_text()
    # site.css imports base.css by its fingerprinted name, so it changed too.
    assert after["css/site.css"]["path"] != before["css/site.css"]["path"]
    site = (out / after["css/site.css"]["path"]).read_text()
    assert after["css/base.css"]["path"].rsplit("/", 1)[-1] in site
    # Files that do not depend on it keep their names.
    assert after["js/app.js"] == before["js/app.js"]
    assert after["img/logo.svg"] == before["img/logo.svg"]
    watch.wait_for("css/base.css changed")


def test_added_and_removed_files_follow(watching):
    watch, app = watching()
    out = app / "build" / "static"
    (app / "static/js/extra.js").write_text("var extra = 1;\n")
    wait_manifest(out, lambda m: "js/extra.js" in m["assets"])
    (app / "static/js/extra.js").unlink()
    wait_manifest(out, lambda m: "js/extra.js" not in m["assets"])


def test_a_broken_file_is_reported_and_the_last_good_manifest_stays(watching):
    watch, app = watching()
    out = app / "build" / "static"
    good = (out / "manifest.json").read_bytes()

    (app / "static/css/site.css").write_text('.x { background: url("missing.png") }\n')
    watch.wait_for("build failed")
    report = "".join(watch.lines)
    assert "site.css:1" in report and "missing.png" in report
    assert (out / "manifest.json").read_bytes() == good

    (app / "static/css/site.css").write_text(".x { color: green }\n")
    fixed = wait_manifest(out, lambda m: json.dumps(m).encode() != json.dumps(
        json.loads(good)).encode())
    assert "green" in (out / fixed["assets"]["css/site.css"]["path"]).read_text()
    assert watch.proc.poll() is None


def test_readers_never_see_a_partial_manifest(watching):
    watch, app = watching()
    out = app / "build" / "static"
    problems: list[str] = []
    reads = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                json.loads((out / "manifest.json").read_bytes())
                reads += 1
            except (ValueError, OSError) as exc:
                problems.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(8):
            (app / "static/js/app.js").write_text(f"console.log({i})\n")
            wait_manifest(out, lambda m, i=i: f"console.log({i})" in (
                out / m["assets"]["js/app.js"]["path"]).read_text())
    finally:
        stop.set()
        thread.join()
    assert reads > 0 and problems == []


def test_settings_file_changes_are_picked_up(watching):
    watch, app = watching()
    out = app / "build" / "static"
    (app / "assetbuild.toml").write_text(
        'sources = ["static"]\nout = "build/static"\nstrict = true\n\n'
        '[bundles]\n"bundles/all.css" = ["css/base.css", "css/site.css"]\n')
    wait_manifest(out, lambda m: "bundles/all.css" in m["assets"])
    watch.wait_for("settings reloaded")


def test_output_inside_a_source_folder_does_not_retrigger(watching):
    files = dict(APP)
    files["assetbuild.toml"] = 'sources = ["static"]\nout = "static/dist"\n'
    watch, app = watching(files)
    (app / "static/js/app.js").write_text("console.log('again')\n")
    watch.wait_for("js/app.js changed")
    time.sleep(1.5)  # long enough for a rebuild that its own output would trigger
    assert sum("changed:" in line for line in watch.lines) == 1, "".join(watch.lines)
    assert "dist/" not in "".join(read_manifest(app / "static/dist")["assets"])


def test_ctrl_c_exits_cleanly(watching):
    watch, app = watching()
    assert watch.stop() == 0
    assert "Traceback" not in "".join(watch.errors)
    assert "stopped watching" in "".join(watch.errors)
    assert list(watch.tmp.iterdir()) == []  # the session's build cache is gone


def test_bad_settings_at_start_exit_2(tmp_path):
    app = write_tree(tmp_path / "app", {"assetbuild.toml": 'sources = ["static"]\n'})
    proc = subprocess.run([sys.executable, "-m", "assetbuild", "watch"], cwd=app,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no output folder" in proc.stderr and "Traceback" not in proc.stderr


def test_without_the_watch_extra_it_says_what_to_install(tmp_path):
    app = write_tree(tmp_path / "app", APP)
    code = ("import sys; sys.modules['watchfiles'] = None; "  # as if it were not installed
            "from assetbuild.cli import main; sys.exit(main(['watch']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=app, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ("assetbuild: error: watch needs the watchfiles package: "
                           "pip install watchfiles (the watch extra)\n")
