"""Unit tests of assetbuild.incremental: what a rebuild must redo, and the ledger's round trip
through a real build cache folder."""

from __future__ import annotations

import pytest

from assetbuild import incremental
from assetbuild.bundle import Bundle
from assetbuild.cache import Cache
from assetbuild.diagnostics import error, warning
from assetbuild.incremental import Record

MANIFEST_SHA = "ab" * 32


def records(**refs: list[str]) -> dict[str, Record]:
    """name -> Record with digest 'd-<name>' and the given targets (names use _ for .)."""
    return {name.replace("_", "."): Record(f"d-{name.replace('_', '.')}", targets, [])
            for name, targets in refs.items()}


def digests(recs: dict[str, Record], **changed: str) -> dict[str, str]:
    new = {name: r.digest for name, r in recs.items()}
    new.update({name.replace("_", "."): d for name, d in changed.items()})
    return new


def test_save_and_load_round_trip(tmp_path):
    cache = Cache(tmp_path)
    saved = {"a.css": Record("d1", ["b.png"], [warning("odd", file="a.css", line=3, hint="h")]),
             "b.png": Record("d2", [], [])}
    incremental.save(cache, MANIFEST_SHA, "settings-1", saved)
    assert incremental.load(cache, MANIFEST_SHA, "settings-1") == saved


def test_load_needs_the_same_manifest_and_settings(tmp_path):
    cache = Cache(tmp_path)
    incremental.save(cache, MANIFEST_SHA, "settings-1", {"a.css": Record("d1", [], [])})
    assert incremental.load(cache, MANIFEST_SHA, "settings-2") is None
    assert incremental.load(cache, "cd" * 32, "settings-1") is None


@pytest.mark.parametrize("sources", [
    {"a.css": ["d1", "b.png", []]},  # targets not a list
    {"a.css": ["d1", [7], []]},  # a target not a name
    {"a.css": [1, [], []]},  # digest not a string
    {"a.css": ["d1", []]},  # a field missing
    {"a.css": ["d1", [], [["warning", "x"]]]},  # a warning of the wrong shape
    ["a.css", "d1"],  # not an object
])
def test_a_ledger_of_the_wrong_shape_is_ignored(tmp_path, sources):
    cache = Cache(tmp_path)
    incremental.save(cache, MANIFEST_SHA, "s", {"a.css": Record("d1", [], [])})
    assert incremental.load(cache, MANIFEST_SHA, "s") is not None
    cache.put_json(f"ledger-{MANIFEST_SHA}", {"settings": "s", "sources": sources})
    assert incremental.load(cache, MANIFEST_SHA, "s") is None


def test_nothing_changed_redoes_nothing():
    recs = records(site_css=["img/a.png"], img_a_png=[])
    assert incremental.to_redo(recs, digests(recs), []) == set()


def test_a_change_redoes_what_references_it_again_and_again():
    recs = records(a_png=[], b_css=["a.png"], c_css=["b.css"], d_css=["c.css"], other_css=[])
    assert incremental.to_redo(recs, digests(recs, a_png="new"), []) == {"a.png", "b.css", "c.css", "d.css"}
    assert incremental.to_redo(recs, digests(recs, c_css="new"), []) == {"c.css", "d.css"}


def test_a_reference_loop_is_redone_once():
    recs = records(a_js=["b.js"], b_js=["a.js"], c_js=["a.js"])
    assert incremental.to_redo(recs, digests(recs, b_js="new"), []) == {"a.js", "b.js", "c.js"}


def test_added_or_removed_sources_redo_everything():
    recs = records(a_css=[], b_css=[])
    assert incremental.to_redo(recs, {"a.css": "d-a.css"}, []) is None
    assert incremental.to_redo(recs, {**digests(recs), "c.css": "d"}, []) is None


def test_a_changed_part_redoes_its_bundle_and_every_part():
    recs = records(x_js=[], y_js=["img.png"], img_png=[], z_js=[])
    bundle = Bundle("all.js", "js", ("x.js", "y.js"))
    assert incremental.to_redo(recs, digests(recs, x_js="new"), [bundle]) == {"x.js", "y.js", "all.js"}
    # what a part references changed: the bundle's text changes with it
    assert incremental.to_redo(recs, digests(recs, img_png="new"), [bundle]) == \
        {"img.png", "y.js", "x.js", "all.js"}
    assert incremental.to_redo(recs, digests(recs, z_js="new"), [bundle]) == {"z.js"}


ENTRY = {"path": "css/a.0123.css", "size": 12, "integrity": "sha384-x",
         "encodings": {"gzip": "css/a.0123.css.gz", "br": "css/a.0123.css.br"}}


def test_written_from_manifest_takes_the_entry_as_listed():
    written = incremental.written_from_manifest("css/a.css", {**ENTRY, "module": True}, 40)
    assert (written.logical, written.path, written.size, written.integrity, written.encodings,
            written.size_in, written.is_module) == \
        ("css/a.css", "css/a.0123.css", 12, "sha384-x", ("br", "gzip"), 40, True)
    assert incremental.written_from_manifest("css/a.css", ENTRY, 40).is_module is False


@pytest.mark.parametrize("entry", [
    {**ENTRY, "size": True},
    {**ENTRY, "size": "12"},
    {**ENTRY, "path": None},
    {**ENTRY, "encodings": {"gzip": "css/other.css.gz"}},
    {**ENTRY, "encodings": {"zstd": "css/a.0123.css.zst"}},
    {k: v for k, v in ENTRY.items() if k != "integrity"},
    ["not", "an", "object"],
])
def test_written_from_a_malformed_entry_is_none(entry):
    assert incremental.written_from_manifest("css/a.css", entry, 40) is None


def test_errors_survive_the_round_trip_too(tmp_path):
    cache = Cache(tmp_path)
    saved = {"a.js": Record("d", [], [error("bad", file="a.js", line=1)])}
    incremental.save(cache, MANIFEST_SHA, "s", saved)
    assert incremental.load(cache, MANIFEST_SHA, "s")["a.js"].warnings == saved["a.js"].warnings
