"""Unit tests of assetbuild.output: atomic writes and their temporary names, content-addressed
files, the manifest commit. Each test works in a fresh folder and looks at what is left."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from support.cli import tree_bytes

from assetbuild import output
from assetbuild.cache import Cache
from assetbuild.diagnostics import BuildError
from assetbuild.output import second_name, staging_file, temp_path, write_atomic


def renderer(text: str, build_id: str):
    """A render function for commit_manifest that writes *text* in two chunks."""
    def render(write) -> str:
        write(text[:3])
        write(text[3:])
        return build_id
    return render


def test_write_atomic_failure_names_the_file_and_leaves_nothing(tmp_path):
    (tmp_path / "plain").write_bytes(b"a file, not a folder")
    with pytest.raises(BuildError) as caught:
        output.write_atomic(tmp_path / "plain" / "f.txt", b"x")
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.level, diagnostic.file) == ("error", str(tmp_path / "plain" / "f.txt"))
    assert diagnostic.message == "cannot write: Not a directory"
    assert tree_bytes(tmp_path) == {"plain": b"a file, not a folder"}


def test_content_addressed_writes_a_new_name_once(tmp_path):
    assert output.write_content_addressed(tmp_path, "css/a.1234.css", b"a{}") is True
    inode = (tmp_path / "css/a.1234.css").stat().st_ino
    assert output.write_content_addressed(tmp_path, "css/a.1234.css", b"a{}") is False
    assert (tmp_path / "css/a.1234.css").stat().st_ino == inode  # not written again
    assert tree_bytes(tmp_path) == {"css/a.1234.css": b"a{}"}


def test_content_addressed_replaces_a_file_of_the_wrong_size(tmp_path):
    (tmp_path / "a.1234.css").write_bytes(b"a{")  # what a killed build leaves
    assert output.write_content_addressed(tmp_path, "a.1234.css", b"a{}") is True
    assert tree_bytes(tmp_path) == {"a.1234.css": b"a{}"}


def test_content_addressed_replaces_a_symlink_of_the_same_size(tmp_path):
    (tmp_path / "elsewhere").write_bytes(b"secret")
    os.symlink("elsewhere", tmp_path / "a.css")  # link text: 9 bytes, as the data below
    assert output.write_content_addressed(tmp_path, "a.css", b"a{color:}") is True
    assert not (tmp_path / "a.css").is_symlink()
    assert tree_bytes(tmp_path) == {"a.css": b"a{color:}", "elsewhere": b"secret"}


def test_commit_staged_moves_the_file_or_drops_a_duplicate(tmp_path):
    tmp = output.staging_file(tmp_path / "out")
    tmp.write_bytes(b"big file")
    output.commit_staged(tmp, tmp_path / "out", "x/big.abcd.bin")
    again = output.staging_file(tmp_path / "out")
    again.write_bytes(b"big file")
    output.commit_staged(again, tmp_path / "out", "x/big.abcd.bin")
    assert tree_bytes(tmp_path / "out") == {"x/big.abcd.bin": b"big file"}


def test_commit_manifest_writes_history_then_manifest(tmp_path):
    text = '{"assets": {}}\n'
    build_id, changed, sha = output.commit_manifest(tmp_path, renderer(text, "b1"))
    assert (build_id, changed, sha) == ("b1", True, hashlib.sha256(text.encode()).hexdigest())
    assert tree_bytes(tmp_path) == {"manifest.json": text.encode(), "manifests/b1.json": text.encode()}


def test_commit_manifest_of_the_release_in_place_changes_nothing(tmp_path):
    text = '{"assets": {"é": 1}}\n'
    output.commit_manifest(tmp_path, renderer(text, "b1"))
    inode = (tmp_path / "manifest.json").stat().st_ino
    build_id, changed, sha = output.commit_manifest(tmp_path, renderer(text, "b1"))
    assert (build_id, changed, sha) == ("b1", False, hashlib.sha256(text.encode()).hexdigest())
    assert (tmp_path / "manifest.json").stat().st_ino == inode
    assert tree_bytes(tmp_path) == {"manifest.json": text.encode(), "manifests/b1.json": text.encode()}


def test_commit_manifest_keeps_older_history(tmp_path):
    output.commit_manifest(tmp_path, renderer("first\n", "b1"))
    assert output.commit_manifest(tmp_path, renderer("second\n", "b2"))[:2] == ("b2", True)
    assert tree_bytes(tmp_path) == {"manifest.json": b"second\n", "manifests/b1.json": b"first\n",
                               "manifests/b2.json": b"second\n"}


def test_a_failing_render_leaves_the_release_in_place(tmp_path):
    output.commit_manifest(tmp_path, renderer("first\n", "b1"))

    def broken(write):
        write("half")
        raise RuntimeError("renderer broke")
    with pytest.raises(RuntimeError):
        output.commit_manifest(tmp_path, broken)
    assert tree_bytes(tmp_path) == {"manifest.json": b"first\n", "manifests/b1.json": b"first\n"}


def test_second_name_replaces_what_is_there(tmp_path):
    (tmp_path / "src").write_bytes(b"new")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "dest").write_bytes(b"old!")
    output.second_name(tmp_path / "src", tmp_path / "d" / "dest")
    assert tree_bytes(tmp_path) == {"src": b"new", "d/dest": b"new"}


@pytest.mark.parametrize("a, b, same", [
    (b"abc", b"abc", True), (b"abc", b"abd", False), (b"abc", b"abcd", False),
    (b"", b"", True), (b"x" * (1 << 20) + b"a", b"x" * (1 << 20) + b"b", False),
    (b"abc", None, False),
])
def test_same_bytes(tmp_path, a, b, same):
    (tmp_path / "a").write_bytes(a)
    if b is not None:
        (tmp_path / "b").write_bytes(b)
    assert output.same_bytes(tmp_path / "a", tmp_path / "b") is same


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
