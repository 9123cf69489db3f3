"""Flask extension: serve a compiled release and give templates fingerprinted URLs.

    app = Flask(__name__)
    app.config["ASSETBUILD_MANIFEST"] = "build/static/manifest.json"
    AssetBuild(app)          # or: assetbuild = AssetBuild(); assetbuild.init_app(app)

After it, ``url_for('static', filename='css/site.css')`` (and ``url_for('bp.static', ...)``
of a blueprint with a static folder) returns the fingerprinted URL, the Jinja globals of
``assetbuild.jinja`` are there, and the static routes serve the files the manifest lists
(nothing else) with ``Cache-Control: public, max-age=31536000, immutable`` (copies under
plain names, which each build replaces: ``public, max-age=60``), and their ``.br``/``.gz``
twins when the browser accepts them. ``app.static_folder`` is left as it is.

A process that serves pages (``flask run``, a WSGI server importing the app) loads the
release in ``init_app`` and stops there when it is missing. Other ``flask`` commands
(``routes``, ``db upgrade``, ``assetbuild compile``) and apps with ``TESTING`` set load it
on first use, so they run before it is built.

Config keys (relative paths are relative to ``app.root_path``):
  ASSETBUILD_MANIFEST    manifest.json or its release folder (else $ASSETBUILD_MANIFEST)
  ASSETBUILD_URL_PREFIX  URL of the release (else $ASSETBUILD_URL_PREFIX, else the static path);
                         a CDN's (https://... or //host/...) also applies to url_for('static')
  ASSETBUILD_SOURCES     source folders for ``flask assetbuild compile`` (default: static folder)
  ASSETBUILD_RELOAD      follow rebuilds of the release (else $ASSETBUILD_RELOAD, else app.debug)
  ASSETBUILD_MISSING     "warn": an unknown asset name is logged, not raised (else
                         $ASSETBUILD_MISSING, else "error"); honoured only when app.debug

The build-stage command ``flask assetbuild compile`` lives in ``assetbuild.flask_cli``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import click
from flask import Flask, Response, abort, current_app, request, send_from_directory

from assetbuild import media_types
from assetbuild.jinja import AssetExtension
from assetbuild.manifest import Entry, ManifestError, PlainCopy
from assetbuild.runtime import ENV_MANIFEST, ENV_RELOAD, ENV_URL_PREFIX, Assets, flag, missing_mode, setting

IMMUTABLE = "public, max-age=31536000, immutable"
PLAIN = "public, max-age=60"  # copies under plain names, which each build replaces
_FILENAME = "<path:filename>"
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # what Flask's url_for leaves unquoted in an anchor


class StaticRoute(NamedTuple):
    """A static endpoint of the app and where its files are in the release."""

    mount: str  # subfolder of the release: "" for the app's, "admin/static/" for a blueprint's
    folder: str  # the source folder Flask serves it from


class Release:
    """What ``init_app`` keeps in ``app.extensions['assetbuild']``."""

    def __init__(self, app: Flask, manifest: Path | None, url_prefix: str,
                 reload: bool, missing: str):
        self.app = app
        self.manifest = manifest  # None: no manifest configured
        self.url_prefix = url_prefix
        self.folder = _release_folder(manifest)
        self.remote = url_prefix.startswith("//") or "://" in url_prefix
        self._reload, self._missing = reload, missing
        self._assets: Assets | None = None
        self._lock = threading.Lock()
        self._routes: dict[str, StaticRoute | None] = {}

    def load(self) -> Assets:
        """Read the release now (``ManifestError`` when it is missing or broken)."""
        assets = Assets.load(self.manifest, self.url_prefix, reload=self._reload,
                             missing=self._missing)
        self.folder = Path(assets.source).parent
        self._assets = assets
        return assets

    def assets(self) -> Assets:
        """The loaded release; loaded now if it was left for its first use."""
        if self._assets is None:
            with self._lock:
                return self._assets or self.load()
        return self._assets

    def mount(self, endpoint: str | None) -> str | None:
        """The release subfolder of static *endpoint*'s files; None for other endpoints."""
        if endpoint is None or (endpoint != "static" and not endpoint.endswith(".static")):
            return None
        if endpoint not in self._routes:  # blueprints may be registered after init_app
            self._routes = static_routes(self.app)
            self._routes.setdefault(endpoint, None)  # not a route of the release
        route = self._routes[endpoint]
        return None if route is None else route.mount


class AssetBuild:
    """The extension; one instance may serve several apps."""

    def __init__(self, app: Flask | None = None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Wire the release named by the app's config into *app* (loaded now when this
        process serves pages, else on first use)."""
        static_path = (app.static_url_path or "/static").rstrip("/") + "/"
        try:
            release = _configured_release(app, static_path)
            if _serves_pages(app):
                release.load()
        except (ManifestError, ValueError) as exc:
            if click.get_current_context(silent=True) is not None:  # the flask command
                raise click.ClickException(str(exc)) from None  # one line, no traceback
            raise
        app.extensions["assetbuild"] = release
        if "static" not in app.view_functions:
            app.add_url_rule(static_path + _FILENAME, endpoint="static",
                             view_func=lambda filename: serve(release, "static", filename))
        app.before_request(_serve_static)  # answers every static endpoint, blueprints' too
        app.url_for = _static_url_for(app.url_for, release)  # type: ignore[method-assign]
        app.jinja_env.globals["url_for"] = app.url_for
        app.jinja_env.assetbuild = release.assets  # type: ignore[attr-defined]
        app.jinja_env.add_extension(AssetExtension)


def _serves_pages(app: Flask) -> bool:
    """Whether this process loads *app* to serve pages: ``flask run``, or an import outside
    the ``flask`` command (a WSGI server, ``app.run()``) of an app not set for TESTING."""
    context = click.get_current_context(silent=True)
    if context is not None:  # loaded by the flask command, for one of its subcommands
        return context.info_name == "run"
    return not app.testing


def _configured_release(app: Flask, static_path: str) -> Release:
    configured = setting(app.config.get("ASSETBUILD_MANIFEST"), ENV_MANIFEST)
    return Release(
        app, Path(app.root_path, configured) if configured else None,
        setting(app.config.get("ASSETBUILD_URL_PREFIX"), ENV_URL_PREFIX, static_path) or static_path,
        reload=flag(app.config.get("ASSETBUILD_RELOAD"), ENV_RELOAD, app.debug),
        missing=missing_mode(app.config.get("ASSETBUILD_MISSING"), debug=app.debug))


def _release_folder(manifest: Path | None) -> Path | None:
    if manifest is None:
        return None
    return manifest.parent if manifest.suffix == ".json" else manifest


def assets_of(app: Flask) -> Assets:
    """The release of *app* (loaded now if it was left for its first use)."""
    release: Release = app.extensions["assetbuild"]
    return release.assets()


def static_routes(app: Flask) -> dict[str, StaticRoute | None]:
    """The app's static endpoint and every blueprint's whose URL rule ends in the file name
    (its mount is that URL's path: '/admin/static/<path:filename>' -> 'admin/static/').
    Two endpoints serving one folder share the first one's mount: its files are compiled once."""
    mounts = {folder: "" for folder in own_sources(app)}
    routes: dict[str, StaticRoute | None] = {"static": StaticRoute("", next(iter(mounts), ""))}
    for rule in app.url_map.iter_rules():
        blueprint = app.blueprints.get(rule.endpoint.removesuffix(".static"))
        if blueprint is None or not blueprint.static_folder or not rule.endpoint.endswith(".static"):
            continue
        url = rule.rule.removesuffix(_FILENAME)
        if url == rule.rule or "<" in url or not url.startswith("/"):
            continue  # a variable part before the file name: served by Flask, unfingerprinted
        folder = os.path.normpath(blueprint.static_folder)
        routes[rule.endpoint] = StaticRoute(mounts.setdefault(folder, url[1:]), folder)
    return routes


def own_sources(app: Flask) -> list[str]:
    """The app's own source folders: ASSETBUILD_SOURCES, else its static folder."""
    own = app.config.get("ASSETBUILD_SOURCES") or ([app.static_folder] if app.static_folder else [])
    return [os.path.normpath(os.path.join(app.root_path, folder)) for folder in own]


def _serve_static() -> Response | None:
    """``before_request`` hook: a static endpoint's file comes from the release."""
    endpoint = request.endpoint
    if endpoint is None or request.view_args is None or "filename" not in request.view_args:
        return None
    release: Release = current_app.extensions["assetbuild"]
    if release.mount(endpoint) is None:
        return None
    return serve(release, endpoint, request.view_args["filename"])


def serve(release: Release, endpoint: str, filename: str) -> Response:
    """The response for *filename* of static *endpoint*: its file in the release (or the
    accepted .br/.gz twin) with the headers of ``file_headers``; 404 for anything else."""
    path = (release.mount(endpoint) or "") + filename
    # Of the release in use, which may have been rebuilt: a fingerprinted file or a copy
    # under a plain name. Only the release's files are served: no manifest, no stray files.
    assets = release.assets()
    entry = assets.file_entry(path) or assets.plain_copy(path)
    if entry is None:
        abort(404)
    coding = next((c for c in ("br", "gzip")
                   if c in entry.encodings and request.accept_encodings[c]), None)
    assert release.folder is not None  # set by load()
    response = send_from_directory(release.folder, entry.encodings[coding] if coding else path)
    response.headers.remove("Content-Disposition")  # Werkzeug names the file sent, maybe a .gz
    response.headers.update(file_headers(path, entry, coding))
    return response


def file_headers(path: str, entry: Entry | PlainCopy, coding: str | None) -> dict[str, str]:
    """The headers that describe release file *path*, sent as its *coding* twin (or as it is
    when None): its type, how long it may be cached, how it is encoded."""
    cache = PLAIN if isinstance(entry, PlainCopy) else IMMUTABLE
    headers = {"Content-Type": media_types.content_type(path), "Cache-Control": cache}
    if entry.encodings:
        headers["Vary"] = "Accept-Encoding"
    if coding:
        headers["Content-Encoding"] = coding
    return headers


def _static_url_for(url_for: Callable[..., str], release: Release) -> Callable[..., str]:
    """*url_for*, giving a static file its fingerprinted URL: under the release's prefix when
    it is a CDN's, else the app's route. A query or an anchor in the name is kept, as Django's
    storage keeps them: ``filename='icons.svg#home'``."""
    def static_url_for(endpoint: str, **values: Any) -> str:
        mount, filename = release.mount(endpoint), values.get("filename")
        if mount is None or not isinstance(filename, str):
            return url_for(endpoint, **values)
        assets = release.assets()
        name, query, anchor = filename, "", ""
        if not _known(assets, mount + filename) and any(c in filename for c in "?#"):
            rest, _, anchor = filename.partition("#")
            name, _, query = rest.partition("?")
        path = mount + name if assets.is_fingerprinted(mount + name) else assets.path(mount + name)
        anchor = values.pop("_anchor", None) or anchor
        others = {k for k, v in values.items() if v is not None} - {"filename", "_external", "_scheme"}
        if release.remote and not (others or query or anchor):
            return assets.file_url(path)
        url = url_for(endpoint, **{**values, "filename": path[len(mount):]})
        if query:
            url += ("&" if "?" in url else "?") + query
        if anchor:
            url += "#" + quote(anchor, safe=_ANCHOR_SAFE)
        return url
    return static_url_for


def _known(assets: Assets, path: str) -> bool:
    """Whether *path* is a logical name or a fingerprinted file of the release."""
    return path in assets or assets.is_fingerprinted(path)


def __getattr__(name: str) -> Any:
    # Installs made before the CLI moved to assetbuild.flask_cli still name
    # `assetbuild.flask:cli` as their flask.commands entry point.
    if name == "cli":
        from assetbuild.flask_cli import cli
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
