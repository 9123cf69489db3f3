"""Run-time lookup: logical asset names to fingerprinted URLs, SRI hashes and HTML tags.

``Assets.load()`` reads ``manifest.json`` (and ``importmap.json`` beside it) once, at
start-up; afterwards every answer comes from memory and no file is touched. In development,
``reload=True`` makes lookups notice a rebuilt release (see ``Assets.load``). Framework glue
(``assetbuild.jinja``, ``assetbuild.flask``, ``assetbuild.django``) sits on this module.
Nothing here imports the compiler.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote

from markupsafe import Markup

from assetbuild import importmap as importmap_format
from assetbuild.manifest import MANIFEST_NAME, Entry, Manifest, ManifestError, PlainCopy
from assetbuild.manifest import load as load_manifest

ENV_MANIFEST = "ASSETBUILD_MANIFEST"
ENV_URL_PREFIX = "ASSETBUILD_URL_PREFIX"
ENV_RELOAD = "ASSETBUILD_RELOAD"
ENV_MISSING = "ASSETBUILD_MISSING"
# What an unknown logical name does: raise, log once and render its plain URL while
# debugging ("warn"), or do that everywhere ("plain", like Django's manifest_strict=False).
MISSING_MODES = ("error", "warn", "plain")
DEFAULT_URL_PREFIX = "/static/"
BUILD_HINT = "build it with 'assetbuild compile SOURCE... --out RELEASE_DIR'"
RELOAD_INTERVAL = 0.5  # seconds between two looks at a reloading release's manifest.json

log = logging.getLogger(__name__)

TAG_KINDS = ("stylesheet", "script", "module", "modulepreload")
_ATTR_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9_:.]*\Z")
# Characters a query or fragment keeps as written; others (quotes, <, >, spaces) are escaped.
_SUFFIX_SAFE = "/?#&=+:;,@!$*()~%"


class AssetNotFound(LookupError, ValueError):
    """A template asked for a logical name the manifest does not have (a ValueError too,
    like a missing entry of Django's ManifestStaticFilesStorage)."""

    def __init__(self, name: str, source: str, known: Iterable[str] = ()):
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        self.name = name
        super().__init__(f"asset {name!r} is not in {source}{hint}")

    def __str__(self) -> str:  # LookupError would repr() the message
        return str(self.args[0])


@overload
def setting(explicit: str | os.PathLike[str] | None, env_name: str, default: str,
            environ: Mapping[str, str] | None = None) -> str: ...
@overload
def setting(explicit: str | os.PathLike[str] | None, env_name: str, default: None = None,
            environ: Mapping[str, str] | None = None) -> str | None: ...
def setting(explicit: str | os.PathLike[str] | None, env_name: str, default: str | None = None,
            environ: Mapping[str, str] | None = None) -> str | None:
    """An explicit value (argument or framework setting), else the environment, else *default*."""
    if explicit is not None and str(explicit) != "":
        return os.fspath(explicit)
    value = (os.environ if environ is None else environ).get(env_name)
    return value if value else default


def parse_bool(text: str) -> bool | None:
    """The on/off word *text* as a bool: 1, true, yes, on or 0, false, no, off, in any case
    and with spaces around; None for any other text."""
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    return None


def flag(explicit: bool | str | None, env_name: str, default: bool,
         environ: Mapping[str, str] | None = None) -> bool:
    """An on/off setting: an explicit value, else the environment, else *default*."""
    value = explicit if explicit is not None else (
        (os.environ if environ is None else environ).get(env_name) or None)
    if value is None or isinstance(value, bool):
        return default if value is None else value
    parsed = parse_bool(str(value))
    if parsed is not None:
        return parsed
    raise ValueError(f"{env_name} must be true or false, not {value!r}")


def missing_mode(explicit: str | None, debug: bool | None = None,
                 environ: Mapping[str, str] | None = None) -> str:
    """What an unknown name does, "error", "warn" or "plain": *explicit*, else
    $ASSETBUILD_MISSING, else "error". Frameworks pass their *debug* flag: "warn" then
    applies only in debug; in production it is logged once, here, and unknown names stay
    errors. "plain" applies everywhere."""
    value = setting(explicit, ENV_MISSING, "error", environ) or "error"
    mode = value.strip().lower()
    if mode not in MISSING_MODES:
        raise ValueError(f"{ENV_MISSING} must be 'error', 'warn' or 'plain', not {value!r}")
    if mode == "warn" and debug is False:
        log.warning("%s = 'warn' is ignored outside debug mode: an unknown asset name stays "
                    "an error", ENV_MISSING)
        return "error"
    return mode


def normalize_prefix(prefix: str) -> str:
    """A URL prefix ending in '/': '/static' -> '/static/', a CDN origin stays absolute."""
    prefix = prefix.strip()
    if not prefix or any(ch.isspace() or ch in "\"'<>" for ch in prefix):
        raise ValueError(f"URL prefix {prefix!r} must be a non-empty URL without spaces or quotes")
    return prefix if prefix.endswith("/") else prefix + "/"


@dataclass(frozen=True)
class _Snapshot:
    """One release as lookups see it; replaced whole on a reload, never changed."""

    manifest: Manifest
    urls: Mapping[str, str]
    by_path: Mapping[str, Entry]
    plain: Mapping[str, PlainCopy]  # copies under plain names, by their path
    importmap: dict[str, Any] | None


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Assets:
    """A loaded release: answers ``url()``, ``integrity()`` and tags from memory."""

    def __init__(self, manifest: Manifest, url_prefix: str = DEFAULT_URL_PREFIX,
                 importmap: Mapping[str, Any] | None = None, source: str = MANIFEST_NAME,
                 missing: str = "error"):
        if missing not in MISSING_MODES:
            raise ValueError(f"missing must be 'error', 'warn' or 'plain', not {missing!r}")
        self.url_prefix = normalize_prefix(url_prefix)
        self.source = source
        self.missing = missing
        self._warned: set[str] = set()  # unknown names already logged ("warn", "plain")
        self._warned_lock = threading.Lock()
        # The release in use (ReloadingAssets turns this into a property that follows rebuilds).
        self._snapshot = self._snapshot_of(manifest, importmap)

    @classmethod
    def load(cls, manifest: str | os.PathLike[str] | None = None, url_prefix: str | None = None,
             environ: Mapping[str, str] | None = None, reload: bool | None = None,
             missing: str | None = None) -> Assets:
        """Read a release: *manifest* (a manifest.json or its folder) or $ASSETBUILD_MANIFEST;
        URLs start with *url_prefix*, else $ASSETBUILD_URL_PREFIX, else '/static/'.

        *missing* (else $ASSETBUILD_MISSING, else "error"): an unknown name raises
        AssetNotFound, or with "warn" or "plain" logs it once and falls back to its
        unfingerprinted URL.

        With *reload* (else $ASSETBUILD_RELOAD; off by default), for development: lookups
        look at manifest.json at most every RELOAD_INTERVAL seconds and switch to a rebuilt
        release; a broken one is logged once and the previous release kept."""
        where = setting(manifest, ENV_MANIFEST, environ=environ)
        if where is None:
            raise ManifestError(f"no manifest configured: set {ENV_MANIFEST} (or the framework "
                                f"setting) to the release's {MANIFEST_NAME}; {BUILD_HINT}")
        path = Path(where)
        if path.is_dir():
            path = path / MANIFEST_NAME
        reloading = flag(reload, ENV_RELOAD, False, environ)
        mode = missing_mode(missing, environ=environ)
        signature = _signature(path) if reloading else None  # before reading: no change missed
        loaded = load_manifest(path)
        prefix = setting(url_prefix, ENV_URL_PREFIX, DEFAULT_URL_PREFIX, environ)
        importmap = _read_importmap(path.parent)
        try:
            if reloading:
                return ReloadingAssets(loaded, prefix, importmap, str(path), signature, mode)
            return cls(loaded, prefix, importmap, source=str(path), missing=mode)
        except ValueError as exc:
            raise ManifestError(f"{path}: {exc}") from None

    @property
    def manifest(self) -> Manifest:
        """The manifest of the release in use."""
        return self._snapshot.manifest

    def _snapshot_of(self, manifest: Manifest, importmap: Mapping[str, Any] | None) -> _Snapshot:
        return _Snapshot(
            manifest=manifest,
            urls={name: self.file_url(entry.path) for name, entry in manifest.assets.items()},
            by_path={entry.path: entry for entry in manifest.assets.values()},
            plain={copy.path: copy for entry in manifest.assets.values()
                   if (copy := entry.plain) is not None},
            importmap=None if importmap is None else self._absolute_importmap(importmap))

    def url(self, name: str) -> str:
        """The fingerprinted URL of logical *name* (``css/site.css``); a ``?query`` or
        ``#fragment`` after the name is kept (``img/icons.svg#home``), as Django's
        ManifestStaticFilesStorage keeps it."""
        snapshot = self._snapshot
        try:
            return snapshot.urls[name]
        except KeyError:
            pass
        path, suffix = _split_suffix(name)
        suffix = quote(suffix, safe=_SUFFIX_SAFE)
        found = snapshot.urls.get(path)
        if found is not None:
            return found + suffix
        self._missing(snapshot, path)
        return self.file_url(path) + suffix

    def file_url(self, path: str) -> str:
        """The URL of *path*, relative to the release folder, under the URL prefix."""
        return self.url_prefix + quote(path)

    def path(self, name: str) -> str:
        """The file of logical *name*, relative to the release folder (in "warn" or
        "plain" mode, an unknown *name* itself)."""
        snapshot = self._snapshot
        entry = snapshot.manifest.assets.get(name)
        if entry is None:
            self._missing(snapshot, name)
            return name
        return entry.path

    def entry(self, name: str) -> Entry:
        """The manifest entry of logical *name*."""
        return self._entry(self._snapshot, name)

    def _entry(self, snapshot: _Snapshot, name: str) -> Entry:
        try:
            return snapshot.manifest.assets[name]
        except KeyError:
            raise AssetNotFound(name, self.source, snapshot.urls) from None

    def _missing(self, snapshot: _Snapshot, name: str) -> None:
        """Raise AssetNotFound for *name*; in "warn" and "plain" modes log it instead,
        once per name."""
        if self.missing == "error":
            raise AssetNotFound(name, self.source, snapshot.urls)
        with self._warned_lock:
            if name in self._warned:
                return
            self._warned.add(name)
        log.warning("%s", AssetNotFound(name, self.source, snapshot.urls))

    def integrity(self, name: str) -> str:
        """The Subresource Integrity value of logical *name* (``sha384-...``; in "warn"
        or "plain" mode "" for an unknown name)."""
        snapshot = self._snapshot
        entry = snapshot.manifest.assets.get(name)
        if entry is None:
            self._missing(snapshot, name)
            return ""
        return entry.integrity

    def is_fingerprinted(self, path: str) -> bool:
        """True when *path* (relative to the release folder) is a file of this release."""
        return path in self._snapshot.by_path

    def file_entry(self, path: str) -> Entry | None:
        """The entry whose fingerprinted file is *path* (relative to the release folder)."""
        return self._snapshot.by_path.get(path)

    def plain_copy(self, path: str) -> PlainCopy | None:
        """The copy under a plain name whose file is *path* (relative to the release
        folder): served with short caching, as each build replaces it."""
        return self._snapshot.plain.get(path)

    def __contains__(self, name: object) -> bool:
        return name in self._snapshot.urls

    def names(self) -> list[str]:
        """Every logical name, sorted."""
        return sorted(self._snapshot.urls)

    def tag(self, name: str, kind: str | None = None, **attrs: Any) -> Markup:
        """An HTML tag loading *name* with its integrity: a stylesheet ``<link>``, a
        ``<script>`` (``type="module"`` for ES modules) or ``<link rel="modulepreload">``.

        *kind* overrides the guess from the name; *attrs* add attributes (``defer=True``,
        ``nonce="..."``, ``data_x="y"`` becomes ``data-x="y"``; False or None leaves one out).
        In "warn" or "plain" mode an unknown name gets its unfingerprinted URL and no
        integrity.
        """
        snapshot = self._snapshot  # one release for the whole tag, even while reloading
        entry = snapshot.manifest.assets.get(name)
        if entry is None:
            self._missing(snapshot, name)
        kind = kind or _guess_kind(name, entry)
        if kind not in TAG_KINDS:
            raise ValueError(f"no tag for asset {name!r}: kind {kind!r} is not one of "
                             f"{', '.join(TAG_KINDS)}; use its URL instead")
        integrity = entry.integrity if entry is not None else None
        common = {"integrity": integrity, "crossorigin": "anonymous", **attrs}
        url = snapshot.urls.get(name) or self.file_url(name)
        if kind == "stylesheet":
            return Markup(f"<link{_attrs({'rel': 'stylesheet', 'href': url, **common})}>")
        if kind == "modulepreload":
            return Markup(f"<link{_attrs({'rel': 'modulepreload', 'href': url, **common})}>")
        first = {"type": "module"} if kind == "module" else {}
        return Markup(f"<script{_attrs({**first, 'src': url, **common})}></script>")

    def importmap(self) -> dict[str, Any]:
        """The release's import map with absolute URLs under the URL prefix."""
        importmap = self._snapshot.importmap
        if importmap is None:
            raise ManifestError(f"{self.source}: no {importmap_format.IMPORTMAP_NAME} beside it; "
                                f"rebuild the release with this version of assetbuild")
        return importmap

    def importmap_tag(self, **attrs: Any) -> Markup:
        """``<script type="importmap">`` for the release (put it before any module script)."""
        text = json.dumps(self.importmap(), sort_keys=True, separators=(",", ":"))
        # JSON inside <script>: '<' must not open '</script>' or '<!--'.
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(f"<script{_attrs({'type': 'importmap', **attrs})}>{text}</script>")

    def _absolute_importmap(self, data: Mapping[str, Any]) -> dict[str, Any]:
        def absolute(url: str) -> str:
            return self.file_url(url[2:]) if url.startswith("./") else url
        return {"imports": {absolute(k): absolute(v) for k, v in data["imports"].items()},
                "integrity": {absolute(k): v for k, v in data.get("integrity", {}).items()}}


class ReloadingAssets(Assets):
    """A release that follows rebuilds, for development: ``Assets.load(..., reload=True)``.

    A lookup looks at manifest.json (mtime, size, inode) at most every RELOAD_INTERVAL
    seconds; when it changed, both JSON files are read again and the new release replaces
    the old in one assignment, so a thread sees the old or the new one, never a mix. A
    manifest that does not load is logged once and the previous release is kept."""

    def __init__(self, manifest: Manifest, url_prefix: str, importmap: Mapping[str, Any] | None,
                 source: str, signature: tuple[int, int, int] | None, missing: str = "error"):
        """*signature*: the (mtime_ns, size, inode) of manifest.json *source* before reading."""
        super().__init__(manifest, url_prefix, importmap, source, missing)
        self._path = Path(source)
        self._signature = signature
        self._due = time.monotonic() + RELOAD_INTERVAL
        self._lock = threading.Lock()

    @property
    def _snapshot(self) -> _Snapshot:
        if time.monotonic() >= self._due:
            self._reload_if_changed()
        return self._latest

    @_snapshot.setter
    def _snapshot(self, snapshot: _Snapshot) -> None:
        self._latest = snapshot

    def _reload_if_changed(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another thread is looking; the current release is still whole
        try:
            signature = _signature(self._path)
            if signature == self._signature:
                return
            self._signature = signature
            try:
                snapshot = self._snapshot_of(load_manifest(self._path),
                                             _read_importmap(self._path.parent))
            except ManifestError as exc:
                log.warning("%s; still serving the previous release", exc)
                return
            self._latest = snapshot  # one assignment: other threads see old or new, whole
        finally:
            self._due = time.monotonic() + RELOAD_INTERVAL
            self._lock.release()


def _split_suffix(name: str) -> tuple[str, str]:
    """``a.css?v=2#x`` -> (``a.css``, ``?v=2#x``): a name and the query or fragment after it."""
    cut = min((i for i in (name.find("?"), name.find("#")) if i >= 0), default=len(name))
    return name[:cut], name[cut:]


def _guess_kind(name: str, entry: Entry | None) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if suffix == "css":
        return "stylesheet"
    if suffix in ("js", "mjs"):
        module = entry is not None and entry.extra.get("module") is True
        return "module" if module or suffix == "mjs" else "script"
    raise ValueError(f"no tag for asset {name!r}: only .css and .js assets have one; "
                     "use its URL instead")


def _attrs(values: Mapping[str, Any]) -> str:
    out = []
    for key, value in values.items():
        name = key.rstrip("_").replace("_", "-")
        if not _ATTR_NAME.match(name):
            raise ValueError(f"{key!r} is not a valid HTML attribute name")
        if value is None or value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{escape(str(value), quote=True)}"')
    return "".join(out)


def _read_importmap(folder: Path) -> dict[str, Any] | None:
    path = folder / importmap_format.IMPORTMAP_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read import map ({exc.strerror or exc})") from None
    return importmap_format.parse(data, str(path))


_default: Assets | None = None


def set_default(assets: Assets | None) -> None:
    """Make *assets* the process-wide release used by helpers not bound to one (Django does)."""
    global _default
    _default = assets


def get_default(environ: Mapping[str, str] | None = None) -> Assets:
    """The process-wide release: the one set with ``set_default()``, else one loaded now
    from $ASSETBUILD_MANIFEST (call this at start-up, not per request)."""
    global _default
    if _default is None:
        _default = Assets.load(environ=environ)
    return _default


def configured_default(environ: Mapping[str, str] | None = None) -> Assets | None:
    """``get_default()`` when a release is set or $ASSETBUILD_MANIFEST names one, else None."""
    if _default is None and not setting(None, ENV_MANIFEST, environ=environ):
        return None
    return get_default(environ)
