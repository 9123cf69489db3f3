"""Run the real CLI in a subprocess, write small source trees, read the manifest back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures"


def write_tree(base: Path, files: dict[str, str | bytes]) -> Path:
    """Create *files* (relative path -> text or bytes) under *base*; return *base*."""
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return base


def tree_bytes(base: Path) -> dict[str, bytes]:
    """Every file under *base* (relative POSIX path -> bytes): the inverse of write_tree."""
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def run_cli(*args: str | os.PathLike, cwd: Path | None = None, env: dict | None = None,
            check: bool | None = None) -> subprocess.CompletedProcess:
    """Run `python -m assetbuild ARGS` and return the finished process (text output)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETBUILD_")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "assetbuild", *map(str, args)], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def flask_cli(folder: Path, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run `flask --app app ARGS` in *folder* with *env* added (text output)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETBUILD_", "FLASK_"))}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=folder,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def read_manifest(out: Path) -> dict:
    """out/manifest.json, parsed."""
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
