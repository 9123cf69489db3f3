"""assetbuild.paths: the one inside-a-folder check, on real paths."""

from __future__ import annotations

import os
from pathlib import Path

from assetbuild.paths import is_inside, is_within


def test_a_folder_holds_itself_and_what_lies_below() -> None:
    assert is_within("/srv/app", "/srv/app")
    assert is_within("/srv/app/static/a.css", "/srv/app")
    assert is_within("/srv/app/static", "/srv/app/")


def test_a_sibling_sharing_the_name_s_start_is_not_inside() -> None:
    assert not is_within("/srv/app2/a.css", "/srv/app")
    assert not is_within("/srv", "/srv/app")


def test_everything_lies_within_the_root_folder() -> None:
    assert is_within("/srv/app", "/")
    assert is_within("/", "/")


def test_symlinks_are_followed_both_ways(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    os.symlink(outside, root / "escape")
    os.symlink(root / "sub", tmp_path / "to-sub")
    assert not is_inside(root / "escape", root)
    assert is_inside(root / "escape", outside)
    assert is_inside(tmp_path / "to-sub", root)
    assert is_inside(str(root / "sub" / "not-yet-there.css"), str(root))
