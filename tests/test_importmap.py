"""importmap.json: written by `assetbuild compile` beside the manifest, read by the run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli

from assetbuild.runtime import Assets

pytestmark = pytest.mark.e2e


def test_compile_writes_an_import_map_of_the_modules(tree) -> None:
    base = tree({
        "src/js/modules/main.mjs": 'import { x } from "./util.mjs";\nconsole.log(x);\n',
        "src/js/modules/util.mjs": "export const x = 1;\n",
        "src/js/app.js": "console.log('classic');\n",
    })
    run_cli("compile", base / "src", "--out", base / "out", "-q", check=True)
    manifest = read_manifest(base / "out")["assets"]
    data = json.loads((base / "out" / "importmap.json").read_text(encoding="utf-8"))
    util = "./" + manifest["js/modules/util.mjs"]["path"]
    assert data["imports"]["js/modules/util.mjs"] == util
    assert data["imports"]["./js/modules/util.mjs"] == util
    assert data["integrity"][util] == manifest["js/modules/util.mjs"]["integrity"]
    assert "js/app.js" not in data["imports"]  # a classic script
    assets = Assets.load(base / "out", url_prefix="https://cdn.example.com/x/", environ={})
    rendered = assets.importmap()
    cdn_util = "https://cdn.example.com/x/" + manifest["js/modules/util.mjs"]["path"]
    assert rendered["imports"]["js/modules/util.mjs"] == cdn_util
    assert rendered["imports"]["https://cdn.example.com/x/js/modules/util.mjs"] == cdn_util
    assert rendered["integrity"] == {
        "https://cdn.example.com/x/" + e["path"]: e["integrity"]
        for e in manifest.values() if e.get("module")}


def test_release_without_modules_has_an_empty_import_map(tree) -> None:
    base = tree({"src/a.css": "a { color: red }\n"})
    run_cli("compile", base / "src", "--out", base / "out", "-q", check=True)
    data = json.loads((base / "out" / "importmap.json").read_text(encoding="utf-8"))
    assert data == {"imports": {}, "integrity": {}}
    assert Path(base / "out" / "manifest.json").is_file()
