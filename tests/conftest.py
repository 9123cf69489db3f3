"""Fixtures shared by the tests; helper code lives in the tests/support package."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import write_tree
from support.corpus import Builds


@pytest.fixture
def tree(tmp_path: Path):
    """`tree({'static/a.css': '...'})` writes files under a fresh folder and returns it."""
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path, files)
    return make


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """The session's builds of the npm corpus, each made on first use (shared by modules)."""
    return Builds(tmp_path_factory.mktemp("corpus"))
