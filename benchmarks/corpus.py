"""The benchmark corpus: real npm packages plus Django's admin static files, N copies deep.

`npm install --prefix benchmarks/corpus/npm` fetches pinned package versions once; each
package's folder (minus package.json, README, licence, changelog and TypeScript files) and
``django/contrib/admin/static/admin`` are copied under ``copy1/`` ... ``copyN/``.
The quick corpus is small and synthetic (no network) for the smoke test.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import django

# Pinned so that runs on different days measure the same bytes.
NPM_PACKAGES = {
    "bootstrap": "5.3.9",
    "jquery": "4.0.0",
    "@fortawesome/fontawesome-free": "7.3.1",
    "lodash": "4.18.1",
    "d3": "7.9.2",
    "three": "0.187.0",
    "chart.js": "4.6.1",
    "leaflet": "1.9.4",
    "bootstrap-icons": "1.13.2",
    "highlight.js": "11.12.0",
}

# Package noise that no site serves.
SKIP = ("package.json", "README*", "readme*", "LICENSE*", "license*", "CHANGELOG*", "*.md",
        "*.ts", "*.mts", "*.cts", ".*")

ADMIN_STATIC = Path(django.__file__).parent / "contrib" / "admin" / "static" / "admin"

# The file the one-file-changed rebuild edits; forms.css @imports it.
CHANGED_FILE = "copy1/admin/css/widgets.css"


@dataclass
class Corpus:
    root: Path
    scale: int
    files: int
    bytes: int
    packages: dict[str, str]

    def facts(self) -> dict:
        return {"root": str(self.root), "scale": self.scale, "files": self.files,
                "bytes": self.bytes, "packages": self.packages}


def _skip(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in SKIP)]


def fetch_npm(dest: Path) -> dict[str, str]:
    """Install the pinned packages under *dest*/node_modules (once); return name -> version."""
    modules = dest / "node_modules"
    wanted = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    if not all(_installed_version(modules, name) == version
               for name, version in NPM_PACKAGES.items()):
        dest.mkdir(parents=True, exist_ok=True)
        print(f"corpus: npm install {' '.join(wanted)}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(dest), "--no-audit", "--no-fund",
                        "--ignore-scripts", "--no-package-lock", "--loglevel=error", *wanted],
                       check=True)
    return {name: _installed_version(modules, name) for name in NPM_PACKAGES}


def _installed_version(modules: Path, name: str) -> str | None:
    try:
        return json.loads((modules / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def build(base: Path, scale: int) -> Corpus:
    """The real corpus at *scale* under *base* (assembled once, then reused)."""
    packages = fetch_npm(base / "npm")
    packages["django admin static"] = django.get_version()
    modules = base / "npm" / "node_modules"

    def fill(copy: Path) -> None:
        for name in NPM_PACKAGES:
            shutil.copytree(modules / name, copy / name.lstrip("@").replace("/", "-"),
                            ignore=_skip)
        shutil.copytree(ADMIN_STATIC, copy / "admin", ignore=_skip)

    return _assemble(base / f"tree-s{scale}", scale, packages, fill)


def build_quick(base: Path, scale: int) -> Corpus:
    """A small synthetic corpus (a few hundred files) plus Django's admin static files."""
    return _assemble(base / f"quick-s{scale}", scale, {"synthetic": "1",
                     "django admin static": django.get_version()}, _copy_synthetic)


def _copy_synthetic(copy: Path) -> None:
    rng = random.Random(7)
    words = ["color", "margin", "padding", "border", "display", "flex", "grid", "none"]
    for pkg in range(3):
        top = copy / f"pkg{pkg}"
        (top / "img").mkdir(parents=True)
        (top / "css").mkdir()
        (top / "js").mkdir()
        for i in range(20):
            body = "".join(f'<path d="M{rng.randint(0, 512)} {rng.randint(0, 512)}h{i}v{pkg}z"/>'
                           for _ in range(rng.randint(5, 60)))
            (top / "img" / f"icon{i}.svg").write_text(
                f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">{body}</svg>\n')
        (top / "img" / "photo.png").write_bytes(rng.randbytes(20_000))
        rules = "\n".join(f".c{i} {{ {rng.choice(words)}: {i}px; background: url(../img/icon{i}.svg) }}"
                          for i in range(20))
        (top / "css" / "base.css").write_text(f"/* base */\n{rules}\n")
        (top / "css" / "main.css").write_text(
            f'@import url("base.css");\n.hero {{ background: url(../img/photo.png) }}\n{rules}\n')
        for i in range(5):
            code = "\n".join(f"function f{j}(a, b) {{\n  // add\n  return a + b * {j};\n}}"
                             for j in range(rng.randint(20, 200)))
            (top / "js" / f"mod{i}.js").write_text(f"{code}\n//# sourceMappingURL=mod{i}.js.map\n")
            (top / "js" / f"mod{i}.js.map").write_text(
                json.dumps({"version": 3, "file": f"mod{i}.js", "sources": [], "mappings": ""}))
    shutil.copytree(ADMIN_STATIC, copy / "admin", ignore=_skip)


def _assemble(root: Path, scale: int, packages: dict[str, str], fill) -> Corpus:
    stamp = root.with_name(root.name + ".json")
    if stamp.is_file() and root.is_dir():
        facts = json.loads(stamp.read_text())
        if facts.get("packages") == packages:
            return Corpus(root, scale, facts["files"], facts["bytes"], packages)
    print(f"corpus: assembling {root} ({scale} cop{'y' if scale == 1 else 'ies'})", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    for n in range(1, scale + 1):
        fill(root / f"copy{n}")
    files, size = count(root)
    corpus = Corpus(root, scale, files, size, packages)
    stamp.write_text(json.dumps(corpus.facts(), indent=1))
    return corpus


def count(root: Path) -> tuple[int, int]:
    """Number of files and their total size under *root*."""
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.stat(os.path.join(folder, name)).st_size
    return files, size
