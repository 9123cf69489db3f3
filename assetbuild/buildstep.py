"""The bundled buildpack's build step: compile the app's assets in the app folder with the
build cache in a folder the platform keeps between builds, and record what it did.

The compile is `assetbuild compile` when the settings name the sources and the release
folder; otherwise a Django project's `manage.py assetbuild` or a Flask app's
`flask assetbuild compile`, which take them from the framework's settings.

bin/build (Cloud Native Buildpacks, API 0.10) runs ``python -m assetbuild.buildstep cnb-build``;
bin/compile (classic API) runs ``python -m assetbuild.buildstep classic-compile BUILD CACHE ENV``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetbuild import __version__
from assetbuild import config as config_mod
from assetbuild import manifest as manifest_mod
from assetbuild.diagnostics import UsageError
from assetbuild.paths import is_inside

LAYER = "build-cache"  # $CNB_LAYERS_DIR/build-cache/ holds the compiler's cache
CLASSIC_CACHE = "assetbuild"  # CACHE_DIR/assetbuild/ on classic platforms
PREFIX = "assetbuild buildpack"
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class StepError(Exception):
    """The build step cannot go on; the message says why and what to do."""


def user_env(env_dir: Path | None) -> dict[str, str]:
    """ASSETBUILD_* variables from a platform env folder (one file per variable)."""
    found: dict[str, str] = {}
    if env_dir is None or not env_dir.is_dir():
        return found
    for item in sorted(env_dir.iterdir()):
        if item.name.startswith("ASSETBUILD_") and item.is_file():
            try:
                value = item.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise StepError(f"{item}: cannot read the setting ({exc})") from None
            found[item.name] = value[:-1] if value.endswith("\n") else value
    return found


def release_dir(app_dir: Path, env: Mapping[str, str]) -> Path:
    """The app's configured output folder, which must lie inside the app folder."""
    try:
        cfg = config_mod.load(cwd=app_dir, environ=env)
    except UsageError as exc:
        raise StepError(str(exc)) from None
    assert cfg.out is not None  # load() insists on it
    if not is_inside(cfg.out, app_dir):
        raise StepError(f"out = {cfg.out} is outside the app folder {app_dir}; only the app "
                        "folder is kept after the build, so set 'out' to a folder inside it")
    return cfg.out


def read_metadata(path: Path) -> dict[str, Any]:
    """The [metadata] table of a layer TOML file from an earlier build ({} when absent)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    meta = data.get("metadata", {})
    return meta if isinstance(meta, dict) else {}


def prepare_cache(cache_dir: Path, previous: Mapping[str, Any]) -> bool:
    """Keep *cache_dir* when the same assetbuild version filled it; True when it is reused."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    has_content = any(cache_dir.iterdir())
    if has_content and previous.get("assetbuild_version") == __version__:
        return True
    if has_content:
        print(f"{PREFIX}: build cache came from assetbuild "
              f"{previous.get('assetbuild_version', '(unknown)')}; starting it afresh")
        for item in cache_dir.iterdir():
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()
    return False


@dataclass
class Command:
    """How this app's assets are compiled."""

    label: str
    argv: list[str]
    env: dict[str, str]
    out: Path | None  # known before the build for `assetbuild compile`, else found after


def choose_command(app_dir: Path, cache_dir: Path, env: Mapping[str, str],
                   summary: Path) -> Command:
    """`assetbuild compile` when the settings are complete, else the framework's command."""
    found = config_mod.find_config_file(app_dir)
    try:
        named = set(config_mod.read_file_settings(found)) if found else set()
    except UsageError as exc:
        raise StepError(str(exc)) from None
    named |= set(config_mod.env_settings(env))
    with_cache = {**env, "ASSETBUILD_CACHE_DIR": str(cache_dir)}
    if not {"sources", "out"} <= named:
        if (app_dir / "manage.py").is_file():
            return Command("manage.py assetbuild", [sys.executable, "manage.py", "assetbuild"],
                           with_cache, None)
        if env.get("FLASK_APP") or (app_dir / "app.py").is_file() or (
                app_dir / "wsgi.py").is_file():
            return Command("flask assetbuild compile",
                           [sys.executable, "-m", "flask", "assetbuild", "compile"],
                           with_cache, None)
    out = release_dir(app_dir, env)
    return Command("assetbuild compile",
                   [sys.executable, "-m", "assetbuild", "compile", "--cache", str(cache_dir),
                    "--json", str(summary)], dict(env), out)


def run_compile(app_dir: Path, command: Command, summary: Path) -> tuple[Path, dict[str, Any]]:
    """Run *command* in *app_dir*; the release folder and the JSON summary (if any)."""
    started = time.time_ns()
    proc = subprocess.run(command.argv, cwd=app_dir, env=command.env)
    if proc.returncode != 0:
        raise StepError(f"'{command.label}' failed (exit {proc.returncode}); "
                        "see the messages above")
    out = command.out or find_release(app_dir, started)
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return out, data if isinstance(data, dict) else {}


SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "venv"}


def find_release(app_dir: Path, since_ns: int) -> Path:
    """The folder of the manifest.json a framework command wrote inside *app_dir*."""
    candidates = []
    for folder, dirs, files in os.walk(app_dir):
        depth = len(Path(folder).relative_to(app_dir).parts)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS and depth < 6]
        if manifest_mod.MANIFEST_NAME in files:
            path = Path(folder) / manifest_mod.MANIFEST_NAME
            candidates.append((path.stat().st_mtime_ns, path.parent))
    fresh = sorted(c for c in candidates if c[0] >= since_ns - 2_000_000_000)
    if not fresh:
        raise StepError(f"the compile wrote no {manifest_mod.MANIFEST_NAME} inside the app "
                        f"folder {app_dir}; only the app folder is kept after the build, so "
                        "put the release inside it (STATIC_ROOT, ASSETBUILD_MANIFEST or 'out')")
    return fresh[-1][1]


def describe_build(app_dir: Path, out: Path, summary: Mapping[str, Any], cache_reused: bool,
                   previous: Mapping[str, Any]) -> dict[str, Any]:
    """What this build did, for the layer metadata (flat TOML-friendly values)."""
    try:
        release = manifest_mod.load(out)
    except manifest_mod.ManifestError as exc:
        raise StepError(str(exc)) from None
    meta: dict[str, Any] = {
        "assetbuild_version": __version__,
        "python_version": platform.python_version(),
        "release": Path(os.path.relpath(out, app_dir)).as_posix(),
        "build_id": release.build_id,
        "assets": len(release.assets),
        "cache_reused": cache_reused,
    }
    if previous.get("build_id"):
        meta["previous_build_id"] = str(previous["build_id"])
    details = {k: v for k, v in summary.items()
               if k not in ("out", "build_id", "assets") and _is_toml_scalar_or_table(v)}
    if details:
        meta["compile"] = details
    return meta


def _is_toml_scalar_or_table(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_toml_scalar_or_table(v) for k, v in value.items())
    return isinstance(value, (str, int, float, bool))


def layer_toml(metadata: Mapping[str, Any], types: Mapping[str, bool] | None = None) -> str:
    """A <layer>.toml document: [types] (when given) and [metadata]."""
    lines: list[str] = []
    if types is not None:
        lines.append("[types]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in types.items()]
        lines.append("")
    lines += _toml_table("metadata", metadata)
    return "\n".join(lines) + "\n"


def _toml_table(name: str, table: Mapping[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            nested.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in nested:
        lines += ["", *_toml_table(f"{name}.{_toml_key(key)}", value)]
    return lines


def _toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _warn_version_skew(buildpack_dir: str | None) -> None:
    if not buildpack_dir:
        return
    try:
        with open(Path(buildpack_dir) / "buildpack.toml", "rb") as fh:
            version = tomllib.load(fh).get("buildpack", {}).get("version")
    except (OSError, tomllib.TOMLDecodeError):
        return
    if version and version != __version__:
        print(f"{PREFIX}: warning: buildpack {version} runs with assetbuild {__version__} "
              "installed in the app; the app's version compiles", file=sys.stderr)


def build_step(app_dir: Path, cache_dir: Path, record: Path, env: Mapping[str, str],
               banner: str, types: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """Compile *app_dir* with its build cache in *cache_dir*; write what it did to *record*."""
    previous = read_metadata(record)
    with tempfile.TemporaryDirectory(prefix="assetbuild-step-") as tmp:
        summary = Path(tmp) / "summary.json"
        command = choose_command(app_dir, cache_dir, env, summary)
        reused = prepare_cache(cache_dir, previous)
        print(f"{banner}: {command.label} (build cache {'restored' if reused else 'empty'})",
              flush=True)
        out, details = run_compile(app_dir, command, summary)
    meta = describe_build(app_dir, out, details, reused, previous)
    meta["command"] = command.label
    record.write_text(layer_toml(meta, types), encoding="utf-8")
    print(f"{banner}: release in {meta['release']}, build {meta['build_id']}", flush=True)
    return meta


def cnb_build(environ: Mapping[str, str]) -> int:
    """bin/build of the Cloud Native Buildpack: compile with the cache in a cache layer."""
    missing = [name for name in ("CNB_LAYERS_DIR", "CNB_PLATFORM_DIR") if not environ.get(name)]
    if missing:
        raise StepError(f"{' and '.join(missing)} not set; bin/build is run by a buildpack "
                        "lifecycle (Buildpack API 0.10)")
    _warn_version_skew(environ.get("CNB_BUILDPACK_DIR"))
    layers = Path(environ["CNB_LAYERS_DIR"])
    env = {**environ, **user_env(Path(environ["CNB_PLATFORM_DIR"]) / "env")}
    build_step(Path.cwd(), layers / LAYER, layers / f"{LAYER}.toml", env,
               f"{PREFIX} {__version__}", {"launch": False, "build": False, "cache": True})
    return 0


def classic_compile(build_dir: Path, cache_dir: Path, env_dir: Path) -> int:
    """bin/compile of the classic buildpack: compile with the cache under CACHE_DIR."""
    if not build_dir.is_dir():
        raise StepError(f"{build_dir}: build folder not found")
    env = {**os.environ, **user_env(env_dir)}
    build_step(build_dir, cache_dir / CLASSIC_CACHE, cache_dir / f"{CLASSIC_CACHE}.toml", env,
               f"-----> assetbuild {__version__}")
    return 0


USAGE = ("usage: python -m assetbuild.buildstep cnb-build\n"
         "       python -m assetbuild.buildstep classic-compile BUILD_DIR CACHE_DIR ENV_DIR")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["cnb-build"]:
            return cnb_build(os.environ)
        if len(args) == 4 and args[0] == "classic-compile":
            return classic_compile(Path(args[1]).resolve(), Path(args[2]).resolve(),
                                   Path(args[3]).resolve())
    except StepError as exc:
        print(f"{PREFIX}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PREFIX}: interrupted", file=sys.stderr)
        return 130
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
