"""The manifest and import map are written entry by entry; their text must still be exactly
the sorted, indented JSON that the contract (and every earlier release) uses."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cli import read_manifest, run_cli

from assetbuild import importmap
from assetbuild.compress import ENCODING_SUFFIX
from assetbuild.manifest import Entry, Manifest
from assetbuild.render import render_entry, render_json, write_manifest
from assetbuild.transform import Written

NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
EXTRA_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
ENTRIES = st.builds(
    Entry, path=NAMES, size=st.integers(0, 2**40), integrity=st.text(max_size=20),
    encodings=st.dictionaries(st.sampled_from(["gzip", "br"]), NAMES, max_size=2),
    extra=st.just({}) | st.just({"module": True}) | st.dictionaries(
        st.text(min_size=1, max_size=6).filter(
            lambda k: k not in ("path", "size", "integrity", "encodings")), EXTRA_VALUES, max_size=2))


def reference_text(manifest: Manifest) -> str:
    assets = {name: manifest.assets[name].to_json() for name in manifest.assets}
    compact = json.dumps(assets, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    document = {"version": 1, "generator": manifest.generator, "assets": assets,
                "build_id": hashlib.sha256(compact.encode("utf-8")).hexdigest()[:16]}
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, ENTRIES, max_size=6), st.text(max_size=10))
def test_streamed_manifest_text_is_the_sorted_indented_json(assets, generator):
    chunks: list[str] = []
    build_id = write_manifest(((name, render_entry(assets[name].to_json())) for name in sorted(assets)),
                              generator, chunks.append)
    text = "".join(chunks)
    assert text == reference_text(Manifest(assets, generator))
    assert json.loads(text)["build_id"] == build_id


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), EXTRA_VALUES, max_size=4))
def test_render_json_is_json_dumps(value):
    assert render_json(value) == json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


@pytest.mark.e2e
def test_compiled_manifest_and_import_map_match_the_reference_rendering(tree, tmp_path):
    tree({"static/js/app.mjs": "import {a} from './lib/a.js';\nexport const b = a;\n",
          "static/js/lib/a.js": "export const a = 'é';\n",
          "static/css/ü site.css": "body { background: url('../img/x.svg') }\n",
          "static/img/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>\n"})
    run_cli("compile", tmp_path / "static", "--out", tmp_path / "out", check=True)
    out = tmp_path / "out"
    data = read_manifest(out)
    entries = {name: Entry(e["path"], e["size"], e["integrity"], e["encodings"],
                           {k: v for k, v in e.items() if k not in ("path", "size", "integrity", "encodings")})
               for name, e in data["assets"].items()}
    text = (out / "manifest.json").read_text("utf-8")
    assert text == reference_text(Manifest(entries, data["generator"]))
    assert (out / "manifests" / f"{data['build_id']}.json").read_text("utf-8") == text
    expected_map = json.dumps(importmap.build(entries), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert (out / "importmap.json").read_text("utf-8") == expected_map
    assert set(json.loads(expected_map)["imports"]) == {"js/app.mjs", "./js/app.mjs",
                                                        "js/lib/a.js", "./js/lib/a.js"}


@settings(max_examples=300, deadline=None)
@given(NAMES, st.integers(0, 2**40), st.text(max_size=20),
       st.lists(st.sampled_from(["gzip", "br"]), unique=True), st.booleans())
def test_a_written_asset_renders_like_its_entry(path, size, integrity, encodings, module):
    """Written quotes its path once and puts each variant's suffix inside the quotes:
    the same text as rendering the entry's fields, whatever the path holds."""
    written = Written("name", path, size, integrity, tuple(encodings), is_module=module)
    variants = sorted((enc, path + ENCODING_SUFFIX[enc]) for enc in encodings)
    assert written.rendered() == render_entry({"path": path, "size": size, "integrity": integrity,
                                               "encodings": dict(variants), **({"module": True} if module else {})})
    pretty, compact = written.rendered()
    assert json.loads(pretty) == json.loads(compact) == {
        "path": path, "size": size, "integrity": integrity, **({"module": True} if module else {}),
        "encodings": dict(variants)}
