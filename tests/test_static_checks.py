"""The package type-checks and lints clean, with the settings in pyproject.toml.

Here rather than in .ci/run alone: the README's test command runs them too, so a change
that breaks a type or a lint rule fails on the developer's machine as it would in CI.
(The run-time import boundary is checked in test_runtime.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e  # runs mypy and ruff


@pytest.mark.parametrize("command", [
    ["mypy", "assetbuild"],
    ["ruff", "check", "--no-cache", "assetbuild", "tests"],
], ids=["mypy", "ruff"])
def test_checker_finds_nothing(command: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_tracked_symlink_leaves_the_checkout() -> None:
    """A committed link to a machine's own path (once tests/.npm-corpus -> /work/...) breaks
    every other clone; links inside the repository are fine."""
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    links = [line.split("\t", 1)[1] for line in listing.splitlines()
             if line.startswith("120000 ")]
    escaping = [name for name in links
                if not (ROOT / name).resolve().is_relative_to(ROOT.resolve())]
    assert escaping == []
