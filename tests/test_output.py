"""assetbuild.output: the one way a file takes its name, through a temporary file beside it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from assetbuild.cache import Cache
from assetbuild.diagnostics import BuildError
from assetbuild.output import second_name, staging_file, temp_path, write_atomic


def test_temporary_names_are_hidden_unique_and_beside_the_target(tmp_path: Path) -> None:
    names = {temp_path(tmp_path / "manifest.json") for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert os.path.dirname(name) == str(tmp_path)
        assert re.fullmatch(rf"\.manifest\.json\.{os.getpid()}\.[0-9a-f]{{12}}\.tmp",
                            os.path.basename(name))
    assert re.fullmatch(rf"\.staging\.{os.getpid()}\.[0-9a-f]{{12}}\.tmp", staging_file(tmp_path).name)


def test_write_atomic_makes_the_folder_and_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "a.json"
    write_atomic(target, b"one")
    write_atomic(str(target), b"two", durable=True)
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["a.json"]


def test_a_failed_rename_leaves_what_was_there_and_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").mkdir()  # a folder where the file should go: the rename fails
    (tmp_path / "a.json" / "kept").write_bytes(b"old")
    with pytest.raises(BuildError):
        write_atomic(tmp_path / "a.json", b"new")
    assert sorted(os.listdir(tmp_path)) == ["a.json"]
    assert (tmp_path / "a.json" / "kept").read_bytes() == b"old"


def test_second_name_and_cache_entries_leave_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"data")
    second_name(tmp_path / "a.json", tmp_path / "history" / "b.json")
    assert (tmp_path / "history" / "b.json").read_bytes() == b"data"
    cache = Cache(tmp_path / "cache")
    cache.put_json("0123abcd", {"x": 1})
    assert cache.get_json("0123abcd") == {"x": 1}
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
