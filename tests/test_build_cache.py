"""The build cache across rebuilds: nothing changed, one file changed, outputs or cache damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import read_manifest, run_cli

pytestmark = pytest.mark.e2e

FILES = {
    "static/css/site.css": '@import "parts.css";\nbody { background: url(../img/bg.svg) }\n'
                           '.x { background: url(../img/missing.png) }\n',
    "static/css/parts.css": ".part { color: red }\n",
    "static/css/other.css": ".other { color: blue }\n",
    "static/img/bg.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n',
    "static/js/app.js": "".join(f"function add{i}(a, b) {{\n  return a + b * {i};\n}}\n"
                                for i in range(50)),
}


def build(tmp_path: Path, summary: str) -> tuple[dict, str]:
    proc = run_cli("compile", tmp_path / "static", "--out", tmp_path / "out", "--cache",
                   tmp_path / "cache", "--no-brotli", "--json", tmp_path / summary, check=True)
    return json.loads((tmp_path / summary).read_text()), proc.stderr


def test_rebuild_with_nothing_changed_reuses_the_release_and_repeats_warnings(tree, tmp_path):
    tree(FILES)
    first, first_err = build(tmp_path, "1.json")
    before = read_manifest(tmp_path / "out")
    second, second_err = build(tmp_path, "2.json")

    assert first["changed"] is True and second["changed"] is False
    assert "transform" in first["timings"]
    assert "transform" not in second["timings"]  # only scanned, read and hashed
    assert read_manifest(tmp_path / "out") == before
    assert "missing.png" in first_err and second_err == first_err
    assert second["warnings"] == first["warnings"]


def test_a_missing_output_file_is_written_again(tree, tmp_path):
    tree(FILES)
    build(tmp_path, "1.json")
    entry = read_manifest(tmp_path / "out")["assets"]["js/app.js"]
    gz = tmp_path / "out" / entry["encodings"]["gzip"]
    gz.unlink()
    second, _ = build(tmp_path, "2.json")
    assert "transform" in second["timings"]
    assert gz.is_file()


def test_damaged_or_foreign_build_records_are_ignored(tree, tmp_path):
    tree(FILES)
    build(tmp_path, "1.json")
    before = read_manifest(tmp_path / "out")
    records = list((tmp_path / "cache").rglob("build-*.json"))
    assert records
    for path in records:
        entry = json.loads(path.read_text())
        entry["value"]["manifest"] = "0" * 64  # claims another release
        path.write_text(json.dumps(entry))
    second, _ = build(tmp_path, "2.json")
    assert "transform" in second["timings"]
    records = list((tmp_path / "cache").rglob("build-*.json"))
    for path in records:
        entry = json.loads(path.read_text())
        entry["value"]["warnings"] = [["warning", 3, None, "one", None]]  # not a warning
        path.write_text(json.dumps(entry))
    third, _ = build(tmp_path, "3.json")
    assert "transform" in third["timings"]
    for path in records:
        path.write_bytes(b"\x00not json")
    fourth, _ = build(tmp_path, "4.json")
    assert "transform" in fourth["timings"]
    assert read_manifest(tmp_path / "out") == before


def test_one_changed_file_rebuilds_it_and_what_references_it(tree, tmp_path):
    tree(FILES)
    build(tmp_path, "1.json")
    before = read_manifest(tmp_path / "out")["assets"]
    texts = set((tmp_path / "cache").rglob("text-*.json"))
    (tmp_path / "static/css/parts.css").write_text(".part { color: green }\n")
    build(tmp_path, "2.json")
    after = read_manifest(tmp_path / "out")["assets"]

    changed = {name for name in after if after[name]["path"] != before[name]["path"]}
    assert changed == {"css/parts.css", "css/site.css"}
    new_texts = set((tmp_path / "cache").rglob("text-*.json")) - texts
    assert len(new_texts) == 1  # only parts.css was minified and scanned again


def test_a_cached_rebuild_writes_what_a_build_without_cache_writes(tree, tmp_path):
    """With a cache, sizes come from the check that reads every source; the rebuilt
    release and its summary must still equal a build that never saw a cache."""
    files = dict(FILES)
    files["static/big.js"] = "var big = '" + "x" * (3 << 20) + "';\n"  # read through a memory map
    tree(files)
    build(tmp_path, "1.json")
    (tmp_path / "static/css/parts.css").write_text(".part { color: green }\n")
    second, _ = build(tmp_path, "2.json")
    plain = tmp_path / "plain"
    run_cli("compile", tmp_path / "static", "--out", plain, "--no-brotli", "--json",
            tmp_path / "plain.json", check=True)
    expected = json.loads((tmp_path / "plain.json").read_text())
    assert (tmp_path / "out" / "manifest.json").read_bytes() == (plain / "manifest.json").read_bytes()
    assert second["bytes_in"] == expected["bytes_in"] == sum(
        p.stat().st_size for p in (tmp_path / "static").rglob("*") if p.is_file())


LEDGER_FILES = {
    "static/img/a.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n',
    "static/css/a.css": ".a { background: url(../img/a.svg) }\n",
    "static/css/b.css": '@import "a.css";\n.b { color: red }\n',
    "static/css/c.css": ".c { color: blue }\n",
    "static/css/miss.css": ".m { background: url(../img/missing.png) }\n",
    "static/js/n.js": "export const n = 1;\n",
    "static/js/m.js": "import { n } from './n.js';\nexport const m = n + 1;\n",
    "static/js/plain.js": "window.plain = true;\n",
}
BUNDLES = '[tool.assetbuild]\n[tool.assetbuild.bundles]\n"all.css" = ["css/a.css", "css/c.css"]\n'


def ledger_build(tmp_path: Path, name: str, *flags: str) -> tuple[dict, dict]:
    """A cached build, and a build of the same sources from scratch to compare it with."""
    common = ["--config", tmp_path / "pyproject.toml", "--no-brotli", *flags]
    run_cli("compile", tmp_path / "static", "--out", tmp_path / "out", "--cache",
            tmp_path / "cache", "--json", tmp_path / f"{name}.json", *common, check=True)
    run_cli("compile", tmp_path / "static", "--out", tmp_path / f"plain-{name}", "--json",
            tmp_path / f"plain-{name}.json", *common, check=True)
    assert (tmp_path / "out/manifest.json").read_bytes() == \
        (tmp_path / f"plain-{name}/manifest.json").read_bytes()
    summary, plain = (json.loads((tmp_path / f"{n}.json").read_text()) for n in (name, f"plain-{name}"))
    assert sorted(summary["warnings"]) == sorted(plain["warnings"])
    return summary, read_manifest(tmp_path / "out")["assets"]


@pytest.mark.slow  # several builds of a tree
def test_a_rebuild_processes_only_changed_files_and_what_references_them(tree, tmp_path):
    tree({**LEDGER_FILES, "pyproject.toml": BUNDLES})
    first, before = ledger_build(tmp_path, "1")
    assert first["files_processed"] == 8 and len(first["warnings"]) == 1  # missing.png

    (tmp_path / "static/img/a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    second, after = ledger_build(tmp_path, "2")
    # a.svg, a.css naming it, b.css importing a.css, and both parts of all.css again
    assert second["files_processed"] == 4
    assert {n for n in after if after[n] != before[n]} == {"img/a.svg", "css/a.css", "css/b.css", "all.css"}
    assert second["warnings"] == first["warnings"]  # taken from the ledger for miss.css

    (tmp_path / "static/js/n.js").write_text("export const n = 2;\n")
    third, _ = ledger_build(tmp_path, "3")
    assert third["files_processed"] == 2  # n.js and the module importing it

    (tmp_path / "static/css/miss.css").write_text(".m { background: url(../img/missing.png) }\n/**/")
    fourth, _ = ledger_build(tmp_path, "4")
    assert fourth["files_processed"] == 1 and fourth["warnings"] == first["warnings"]


@pytest.mark.slow  # several builds of a tree
def test_an_added_file_a_damaged_ledger_or_new_settings_mean_reading_every_file(tree, tmp_path):
    tree({**LEDGER_FILES, "pyproject.toml": BUNDLES})
    ledger_build(tmp_path, "1")

    (tmp_path / "static/img/missing.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # now found
    summary, assets = ledger_build(tmp_path, "2")
    assert summary["files_processed"] == 9 and summary["warnings"] == []
    assert "missing.png" not in (tmp_path / "out" / assets["css/miss.css"]["path"]).read_text()

    for ledger in (tmp_path / "cache").rglob("ledger-*.json"):
        ledger.write_text('{"key": "' + ledger.stem + '", "version": "0.1.0", "value": {"sources": 1}}')
    (tmp_path / "static/css/c.css").write_text(".c { color: green }\n")
    summary, _ = ledger_build(tmp_path, "3")
    assert summary["files_processed"] == 9

    (tmp_path / "static/css/c.css").write_text(".c { color: navy }\n")
    summary, _ = ledger_build(tmp_path, "4", "--no-minify")
    assert summary["files_processed"] == 9


def test_a_rebuild_after_the_release_in_place_was_damaged_reads_every_file(tree, tmp_path):
    tree({**LEDGER_FILES, "pyproject.toml": BUNDLES})
    _, assets = ledger_build(tmp_path, "1")
    (tmp_path / "out" / assets["css/c.css"]["path"]).unlink()
    (tmp_path / "static/js/plain.js").write_text("window.plain = false;\n")
    summary, _ = ledger_build(tmp_path, "2")
    assert summary["files_processed"] == 8
    assert (tmp_path / "out" / assets["css/c.css"]["path"]).is_file()
