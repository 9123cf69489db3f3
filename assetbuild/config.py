"""Build settings: [tool.assetbuild] in pyproject.toml (or assetbuild.toml), then
ASSETBUILD_* environment variables, then command-line flags, each layer overriding the one
before (the order of pip, Docker and git: what is typed last, on the command line, wins)."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assetbuild.diagnostics import Diagnostic, UsageError, warning
from assetbuild.runtime import ENV_MANIFEST, ENV_MISSING, ENV_RELOAD, ENV_URL_PREFIX, parse_bool

CONFIG_FILES = ("pyproject.toml", "assetbuild.toml")
# Libraries that build file URLs at run time from a base path and load files by their
# plain names (themes, plugins, workers): their files are also written under those names.
DEFAULT_PLAIN_NAMES = ("tinymce/**", "ace-builds/**", "mathjax/**", "monaco-editor/min/**")


@dataclass
class Config:
    """Everything a build needs to know, with paths already absolute."""

    sources: list[Path] = field(default_factory=list)
    # Logical-name prefixes of some sources ("vendor/"), like Django's prefixed
    # STATICFILES_DIRS; set by `manage.py assetbuild`, not by a file or flag.
    prefixes: dict[Path, str] = field(default_factory=dict)
    out: Path | None = None
    bundles: dict[str, list[str]] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)
    plain_names: list[str] = field(default_factory=lambda: list(DEFAULT_PLAIN_NAMES))
    url_prefix: str = "/static/"
    hash_length: int = 16
    strict: bool = False
    minify: bool = True
    gzip: bool = True
    brotli: bool | None = None  # None: when the brotli package is installed
    brotli_quality: int | None = None  # None: the default, compress.BROTLI_DEFAULT_QUALITY
    cache_dir: Path | None = None
    jobs: int = 0  # 0: one worker per CPU
    sourcemaps: bool = False
    config_file: Path | None = None
    warnings: list[Diagnostic] = field(default_factory=list)  # about the settings themselves


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    parsed = parse_bool(value) if isinstance(value, str) else None
    if parsed is not None:
        return parsed
    raise UsageError(f"{where}: expected true or false, got {value!r}")


def _int(lo: int, hi: int) -> Callable[[Any, str], int]:
    def parse(value: Any, where: str) -> int:
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not lo <= number <= hi:
            raise UsageError(f"{where}: expected a whole number from {lo} to {hi}, got {value!r}")
        return number
    return parse


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected a string, got {value!r}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):  # environment variables: comma or os.pathsep separated
        value = [v for v in value.replace(os.pathsep, ",").split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: expected a list of strings, got {value!r}")
    return [v.strip() for v in value]


def _bundles(value: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a table of bundle name = [sources]")
    return {name: _str_list(parts, f"{where}.{name}") for name, parts in value.items()}


_FULL_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]")


def _prefix(value: Any, where: str) -> str:
    prefix = _str(value, where).strip()
    if not prefix:
        raise UsageError(f"{where}: must not be empty (use '/' to serve assets from the root)")
    # A relative prefix would make URLs that change meaning from page to page, and
    # '/static/...' references in the sources would silently not be rewritten.
    if not prefix.startswith("/") and not _FULL_URL.match(prefix):
        raise UsageError(f"{where}: {prefix!r} is neither a path from the site's root nor a "
                         f"full URL; did you mean '/{prefix.strip('/')}/'? (or a CDN origin: "
                         "'https://cdn.example.com/static/')")
    return prefix if prefix.endswith("/") else prefix + "/"


# key -> (parser, is a path setting)
SETTINGS: dict[str, tuple[Callable[[Any, str], Any], bool]] = {
    "sources": (_str_list, True),
    "out": (_str, True),
    "bundles": (_bundles, False),
    "ignore": (_str_list, False),
    "plain_names": (_str_list, False),
    "url_prefix": (_prefix, False),
    "hash_length": (_int(8, 64), False),
    "strict": (_bool, False),
    "minify": (_bool, False),
    "gzip": (_bool, False),
    "brotli": (_bool, False),
    "brotli_quality": (_int(0, 11), False),
    "cache_dir": (_str, True),
    "jobs": (_int(0, 1024), False),
    "sourcemaps": (_bool, False),
}


def find_config_file(start: Path) -> Path | None:
    """The first of pyproject.toml (with [tool.assetbuild]) or assetbuild.toml in *start*."""
    for name in CONFIG_FILES:
        candidate = start / name
        if candidate.is_file():
            if name == "pyproject.toml" and "assetbuild" not in _read_toml(candidate).get("tool", {}):
                continue
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_file_settings(path: Path) -> dict[str, Any]:
    """The raw [tool.assetbuild] table of a pyproject.toml; in any other file, the
    [tool.assetbuild] table when there is one, else the top-level keys."""
    data = _read_toml(path)
    tool = data.get("tool")
    if path.name == "pyproject.toml":
        table = tool.get("assetbuild", {}) if isinstance(tool, dict) else {}
        where = f"{path} [tool.assetbuild]"
    elif isinstance(tool, dict) and "assetbuild" in tool:
        others = [key for key in data if key != "tool"]
        if others:
            raise UsageError(f"{path}: settings both at the top level ({', '.join(others)}) "
                             "and in [tool.assetbuild]; keep one of the two")
        table, where = tool["assetbuild"], f"{path} [tool.assetbuild]"
    else:
        table, where = data, str(path)
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table")
    return table


ENV_PREFIX = "ASSETBUILD_"
# Read at run time by the Django, Flask and Jinja2 helpers, not by the build.
RUNTIME_VARIABLES = (ENV_MANIFEST, ENV_URL_PREFIX, ENV_RELOAD, ENV_MISSING)


def env_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """ASSETBUILD_<KEY> variables that name a known setting."""
    found = {}
    for key in SETTINGS:
        value = environ.get(f"{ENV_PREFIX}{key.upper()}")
        if value is not None and value != "":
            found[key] = value
    return found


def unknown_variables(environ: Mapping[str, str]) -> list[Diagnostic]:
    """A warning for each ASSETBUILD_* variable that neither the build nor the run-time
    helpers read (a typo would otherwise be ignored without a word)."""
    known = [f"{ENV_PREFIX}{key.upper()}" for key in SETTINGS] + list(RUNTIME_VARIABLES)
    found = []
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
            found.append(warning(f"environment variable {name} names no setting and is "
                                 "ignored", hint=hint))
    return found


def load(flags: Mapping[str, Any] | None = None, *, cwd: Path | None = None,
         config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Merge defaults, the config file, the environment and *flags* (None values are
    unset), each overriding the one before."""
    cwd = (cwd or Path.cwd()).resolve()
    environ = os.environ if environ is None else environ
    config = Config()
    if config_file is not None:
        config_file = (cwd / config_file).resolve()
        if not config_file.is_file():
            raise UsageError(f"{config_file}: config file not found")
    else:
        config_file = find_config_file(cwd)
    if config_file is not None:
        config.config_file = config_file
        _apply(config, read_file_settings(config_file), config_file.parent, str(config_file))
    _apply(config, env_settings(environ), cwd, "environment", env=True)
    _apply(config, {k: v for k, v in (flags or {}).items() if v is not None}, cwd, "command line")
    config.warnings = unknown_variables(environ)
    if not config.sources:
        raise UsageError("no source folders: name them on the command line "
                         "(assetbuild compile static/ --out build/static) or set 'sources' "
                         "in [tool.assetbuild]")
    if config.out is None:
        raise UsageError("no output folder: pass --out DIR or set 'out' in [tool.assetbuild]")
    return config


def _apply(config: Config, values: Mapping[str, Any], base: Path, origin: str,
           env: bool = False) -> None:
    for key, value in values.items():
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known settings: {', '.join(SETTINGS)}"
            raise UsageError(f"{origin}: unknown setting '{key}'{hint}")
        parse, is_path = SETTINGS[key]
        where = f"{origin}: ASSETBUILD_{key.upper()}" if env else f"{origin}: {key}"
        parsed = parse(value, where)
        if is_path:
            parsed = ([(base / p).resolve() for p in parsed] if isinstance(parsed, list)
                      else (base / parsed).resolve())
        setattr(config, key, parsed)

