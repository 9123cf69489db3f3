"""Real third-party packages (installed by .ci/setup.d/thirdparty.sh) and their builds.

Each package is compiled at most once per test session, with the real CLI, and the build is
shared by tests/test_third_party.py and tests/test_minified_behaviour.py.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.cli import ROOT, run_cli

NODE_MODULES = ROOT / "tests" / ".npm-corpus" / "node_modules"
SETUP = ".ci/setup.d/thirdparty.sh"


@dataclass(frozen=True)
class Package:
    """A package folder to compile, and what its release must contain."""

    name: str
    folder: str  # under node_modules; "django-admin" is Django's admin static folder
    ignore: tuple[str, ...] = ()
    # Kinds of local reference the output must have, so the reference checks are not vacuous.
    ref_kinds: frozenset[str] = frozenset()

    def source(self) -> Path:
        if self.folder == "django-admin":
            django = pytest.importorskip("django", reason="Django admin static needs Django installed")
            return Path(django.__file__).parent / "contrib" / "admin" / "static"
        path = NODE_MODULES / self.folder
        if not path.is_dir():
            pytest.skip(f"third-party corpus not installed ({path} is missing): run {SETUP}")
        return path


PACKAGES = {p.name: p for p in [
    # Bootstrap's CSS has only data: URIs; its js/src is an ES module tree.
    Package("bootstrap", "bootstrap", ignore=("scss",), ref_kinds=frozenset({"module", "sourcemap"})),
    # Without its 5,800 loose SVG icons and metadata (plain files; they would double the time).
    Package("fontawesome", "@fortawesome/fontawesome-free", ignore=("svgs", "svgs-full", "metadata"),
            ref_kinds=frozenset({"url"})),
    Package("jquery", "jquery", ref_kinds=frozenset({"module"})),
    Package("lodash", "lodash"),  # CommonJS files: minified, nothing to rewrite
    Package("lodash-es", "lodash-es", ref_kinds=frozenset({"module"})),
    Package("three", "three", ref_kinds=frozenset({"module"})),  # build/, src/ and examples/jsm
    Package("leaflet", "leaflet/dist", ref_kinds=frozenset({"url"})),
    Package("d3", "d3/dist"),  # d3.mjs re-exports bare specifiers only: left for an import map
    Package("chart.js", "chart.js", ref_kinds=frozenset({"module", "sourcemap"})),
    Package("bootstrap-icons", "bootstrap-icons", ref_kinds=frozenset({"url"})),
    Package("django-admin", "django-admin", ref_kinds=frozenset({"url"})),
]}


@dataclass
class Build:
    """One finished build of a package."""

    package: Package
    source: Path
    out: Path
    summary: dict
    stderr: str
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def path_of(self, logical: str) -> Path:
        """The compiled file for a logical name."""
        return self.out / json.loads((self.out / "manifest.json").read_text())["assets"][logical]["path"]


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"node is not installed: run {SETUP}")
    return node


class Builds:
    """Builds of the corpus, made on first use under one session folder.

    That folder holds a package.json saying "type": "module", outside every release, so that
    node loads compiled .js files as ES modules (browsers go by <script type=module>).
    """

    def __init__(self, base: Path):
        self.base = base
        (base / "package.json").write_text('{"type": "module"}\n')
        self._done: dict[tuple[str, tuple[str, ...]], Build] = {}

    def get(self, name: str, *extra: str) -> Build:
        key = (name, extra)
        if key not in self._done:
            self._done[key] = self.build(name, *extra, label=str(len(self._done)))
        return self._done[key]

    def build(self, name: str, *extra: str, label: str = "x") -> Build:
        package = PACKAGES[name]
        source = package.source()
        out = self.base / f"{name.replace('/', '_')}-{label}"
        shutil.rmtree(out, ignore_errors=True)
        args = [source, "--out", out, "--jobs", "2", "--no-brotli", "--json", "-"]
        for pattern in package.ignore:
            args += ["--ignore", pattern]
        start = time.perf_counter()
        proc = run_cli("compile", *args, *extra, check=True)
        seconds = time.perf_counter() - start
        summary = json.loads(proc.stdout)
        return Build(package, source, out, summary, proc.stderr, seconds, summary["warnings"])
