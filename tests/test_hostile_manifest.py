"""Run time against a damaged or hostile manifest: a real compiled release, then the
manifest missing, cut short at every point, or edited in the ways an attacker or a broken
deploy would; start-up (Assets.load, a real Flask app) must stop with one clear line naming
the file, never a traceback of another kind and never a half-loaded release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from support.cli import FIXTURES, run_cli

from assetbuild.flask import AssetBuild
from assetbuild.manifest import ManifestError
from assetbuild.runtime import AssetNotFound, Assets

pytestmark = pytest.mark.e2e  # every test reads the manifest of one real compile

NO_ENV: dict[str, str] = {}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "out"
    run_cli("compile", FIXTURES / "example" / "static", "--out", out, "-j", "1", check=True)
    return out


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "manifest.json").write_bytes((built / "manifest.json").read_bytes())
    return tmp_path / "release"


def load_fails(release: Path) -> str:
    with pytest.raises(ManifestError) as info:
        Assets.load(release, environ=NO_ENV)
    message = str(info.value)
    assert message.startswith(str(release / "manifest.json") + ": ")
    assert "\n" not in message
    return message


def flask_start_fails(release: Path) -> str:
    app = Flask(__name__, root_path=str(release.parent))
    app.config["ASSETBUILD_MANIFEST"] = str(release / "manifest.json")
    with pytest.raises(ManifestError) as info:
        AssetBuild(app)
    return str(info.value)


def test_missing_manifest(release: Path):
    (release / "manifest.json").unlink()
    assert "manifest not found; build it with 'assetbuild compile'" in load_fails(release)
    assert "manifest not found" in flask_start_fails(release)


def test_manifest_cut_short_anywhere_is_refused(release: Path):
    whole = (release / "manifest.json").read_bytes()
    end = len(whole.rstrip())
    for cut in sorted(set(range(0, end, max(end // 150, 1))) | {end - 1}):
        (release / "manifest.json").write_bytes(whole[:cut])
        assert "not valid JSON" in load_fails(release), cut
    (release / "manifest.json").write_bytes(whole[:end])  # only the final newline gone: fine
    assert Assets.load(release, environ=NO_ENV).url("css/site.css")


def _edit(release: Path, change) -> None:
    data = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    change(data)
    (release / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def _set_path(value):
    return lambda d: d["assets"]["css/site.css"].__setitem__("path", value)


def _set_encoding(value):
    return lambda d: d["assets"]["css/site.css"].__setitem__("encodings", {"gzip": value})


OUTSIDE = ["../../etc/passwd", "/etc/passwd", "css/../../x.css", "./css/x.css", "C:/Windows/win.ini",
           "C:\\Windows\\win.ini", "css\\..\\..\\x", "file:///etc/passwd", "https://evil.example/x.js",
           "//evil.example/x.js", "css//x.css", "", "css/\x00.css", "..", "css/x/.."]


@pytest.mark.parametrize("path", OUTSIDE)
def test_entries_pointing_outside_the_release_are_refused(release: Path, path: str):
    _edit(release, _set_path(path))
    assert "is not a relative path inside the release" in load_fails(release)
    assert "is not a relative path inside the release" in flask_start_fails(release)


@pytest.mark.parametrize("path", OUTSIDE[:6])
def test_encodings_pointing_outside_the_release_are_refused(release: Path, path: str):
    _edit(release, _set_encoding(path))
    assert "encodings must map names to relative paths inside the release" in load_fails(release)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.__setitem__("version", 2), "unsupported manifest version 2"),
    (lambda d: d.pop("version"), "unsupported manifest version None"),
    (lambda d: d.__setitem__("assets", []), "'assets' must be an object"),
    (lambda d: d["assets"].__setitem__("css/site.css", "css/site.css"), "expected an object"),
    (lambda d: d["assets"]["css/site.css"].__setitem__("path", 7), "is not a relative path"),
    (lambda d: d["assets"]["css/site.css"].__setitem__("size", -1), "size must be a non-negative integer"),
    (lambda d: d["assets"]["css/site.css"].__setitem__("size", "12"), "size must be a non-negative integer"),
    (lambda d: d["assets"]["css/site.css"].__setitem__("integrity", None), "integrity must be a string"),
])
def test_tampered_fields_are_refused(release: Path, change, message: str):
    _edit(release, change)
    assert message in load_fails(release)


@pytest.mark.parametrize("data", [b"", b"[]", b"null", b"\xff\xfe{}", b"[" * 200_000,
                                  b'{"version": 1, "assets": ' + b'{"a": ' * 200_000])
def test_garbage_instead_of_a_manifest(release: Path, data: bytes):
    (release / "manifest.json").write_bytes(data)
    load_fails(release)
    flask_start_fails(release)


def test_manifest_that_is_a_folder(release: Path):
    (release / "manifest.json").unlink()
    (release / "manifest.json").mkdir()
    with pytest.raises(ManifestError, match="manifest.json: manifest not found"):
        Assets.load(release, environ=NO_ENV)


def test_unknown_asset_name_is_a_clear_error(release: Path):
    assets = Assets.load(release, environ=NO_ENV)
    with pytest.raises(AssetNotFound, match=r"asset 'css/sight.css' is not in .*manifest.json; "
                                            r"did you mean 'css/site.css'"):
        assets.url("css/sight.css")
    with pytest.raises(AssetNotFound):
        assets.url("../manifest.json")
