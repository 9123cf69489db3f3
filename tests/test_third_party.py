"""Real packages (Bootstrap, Font Awesome, jQuery, lodash, three.js, Leaflet, d3, Chart.js,
Bootstrap Icons, Django admin) compiled with the real CLI, then checked by an independent
checker (tests/support/outputcheck.py): every local reference in the output points at a
fingerprinted file of the release, every script still parses as what it was, the manifest
matches the files, and two builds are byte-identical."""

from __future__ import annotations

import json
import re

import pytest
from support.cli import run_cli, tree_bytes, write_tree
from support.corpus import PACKAGES, require_node
from support.outputcheck import Release, is_local, node_inspect

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

NAMES = sorted(PACKAGES)


RELEASE_INDEXES = ("manifest.json", "importmap.json")


def _release_files(release: Release) -> set[str]:
    return {p for p in tree_bytes(release.out) if p not in RELEASE_INDEXES and not p.startswith("manifests/")}


@pytest.mark.parametrize("name", NAMES)
def test_package_builds_without_warnings(builds, name):
    build = builds.get(name)
    assert build.warnings == [], "\n".join(build.warnings)
    assert build.summary["assets"] == build.summary["files_in"] > 0


@pytest.mark.parametrize("name", NAMES)
def test_manifest_matches_the_files(builds, name):
    release = Release.load(builds.get(name).out)
    assert release.integrity_problems() == []
    # Every file in the folder is one the manifest lists: nothing unfingerprinted.
    assert _release_files(release) == release.paths()
    # The import map names every ES module, by logical name and by relative URL.
    imports = json.loads((release.out / "importmap.json").read_text(encoding="utf-8"))["imports"]
    modules = {n: e["path"] for n, e in release.assets.items() if e.get("module")}
    assert imports == {k: "./" + p for n, p in modules.items() for k in (n, "./" + n)}


@pytest.mark.parametrize("name", NAMES)
def test_every_local_reference_points_at_a_file_of_the_release(builds, name):
    require_node()
    build = builds.get(name)
    release = Release.load(build.out)
    found = release.references(node_inspect(release.out, release.scripts()))
    assert release.dangling(found) == []
    kinds = {ref.kind for ref in found if is_local(ref.url, ref.kind)}
    assert build.package.ref_kinds <= kinds, f"expected local {sorted(build.package.ref_kinds)} references"
    leftovers = [p for p in release.paths() if p.endswith((".css", ".js", ".mjs"))
                 and b"__abref" in (release.out / p).read_bytes()]
    assert leftovers == []


@pytest.mark.parametrize("name", NAMES)
def test_every_script_still_parses_as_what_it_was(builds, name):
    require_node()
    build = builds.get(name)
    release = Release.load(build.out)
    scripts = release.scripts()
    compiled = node_inspect(release.out, scripts)
    logical = {e["path"]: n for n, e in release.assets.items()}
    originals = node_inspect(build.source, {logical[p]: m for p, m in scripts.items()})
    problems = []
    for path, result in sorted(compiled.items()):
        before = originals[logical[path]]
        if before["script"] is None and result["script"] is not None:
            problems.append(f"{path}: no longer parses as a script: {result['script']}")
        if before["script"] is not None and before["module"] is None:
            if not scripts[path]:
                problems.append(f"{path}: an ES module the manifest does not mark as one")
            if result["module"] is not None:
                problems.append(f"{path}: no longer parses as a module: {result['module']}")
    assert problems == []


@pytest.mark.parametrize("name", NAMES)
def test_two_builds_are_byte_identical(builds, name):
    first = builds.get(name)
    second = builds.build(name, label="again")
    assert first.summary["build_id"] == second.summary["build_id"]
    assert tree_bytes(first.out) == tree_bytes(second.out)


@pytest.mark.parametrize("name", ["bootstrap", "chart.js"])
def test_unminified_release_keeps_source_maps_pointing_at_their_maps(builds, name):
    require_node()
    release = Release.load(builds.get(name, "--no-minify").out)
    found = release.references(node_inspect(release.out, release.scripts()))
    maps = [ref for ref in found if ref.kind == "sourcemap"]
    minified_names = [n for n in release.assets if ".min." in n and n.endswith((".js", ".css"))]
    assert len(maps) > len(minified_names)  # plain files keep their maps too
    assert release.dangling(found) == []


# The checker must be able to fail: break a compiled release in each way it looks for.

def test_checker_finds_what_a_broken_release_gets_wrong(tmp_path):
    require_node()
    src = write_tree(tmp_path / "src", {
        "css/site.css": "body{background:url(../img/a.png)}\n@import 'extra.css';\n",
        "css/extra.css": "p{color:red}\n",
        "img/a.png": b"\x89PNG fake",
        "js/app.mjs": "import {x} from './lib.mjs';\nconsole.log(x, await import('./lazy.mjs'));\n",
        "js/lib.mjs": "export const x = 1;\n",
        "js/lazy.mjs": "export default 2;\n",
    })
    out = tmp_path / "out"
    run_cli("compile", src, "--out", out, "--no-brotli", check=True)
    release = Release.load(out)

    def check() -> tuple[list, list]:
        found = release.references(node_inspect(out, release.scripts()))
        return found, release.dangling(found)

    found, dangling = check()
    assert dangling == [] and release.integrity_problems() == []
    assert {(r.kind, r.url.rsplit("/", 1)[-1].split(".")[0]) for r in found} >= {
        ("url", "a"), ("import", "extra"), ("module", "lib"), ("module", "lazy")}

    css = out / release.assets["css/site.css"]["path"]
    css.write_text(re.sub(r"a\.[0-9a-f]+\.png", "a.png", css.read_text()))
    app = out / release.assets["js/app.mjs"]["path"]
    app.write_text(re.sub(r"lazy\.[0-9a-f]+\.mjs", "lazy.mjs", app.read_text()))
    _, dangling = check()
    assert sorted(r.url.rsplit("/", 1)[-1] for r in dangling) == ["a.png", "lazy.mjs"]
    assert {p.split(":")[0] for p in release.integrity_problems()} == {"css/site.css", "js/app.mjs"}
