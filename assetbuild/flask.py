"""Flask extension: serve a compiled release and give templates fingerprinted URLs.

    app = Flask(__name__)
    app.config["ASSETBUILD_MANIFEST"] = "build/static/manifest.json"
    AssetBuild(app)          # or: assetbuild = AssetBuild(); assetbuild.init_app(app)

After it, ``url_for('static', filename='css/site.css')`` returns the fingerprinted URL, the
Jinja globals of ``assetbuild.jinja`` are there, and the static route serves the files the
manifest lists (nothing else) with ``Cache-Control: public, max-age=31536000, immutable``
(copies under plain names, which each build replaces: ``public, max-age=60``), and their
``.br``/``.gz`` twins when the browser accepts them.

Config keys (relative paths are relative to ``app.root_path``):
  ASSETBUILD_MANIFEST    manifest.json or its release folder (else $ASSETBUILD_MANIFEST)
  ASSETBUILD_URL_PREFIX  URL of the release (else $ASSETBUILD_URL_PREFIX, else the static path);
                         a CDN's (https://... or //host/...) also applies to url_for('static')
  ASSETBUILD_SOURCES     source folders for ``flask assetbuild compile`` (default: static folder)
  ASSETBUILD_RELOAD      follow rebuilds of the release (else $ASSETBUILD_RELOAD, else app.debug)
  ASSETBUILD_MISSING     "warn": an unknown asset name is logged, not raised (else
                         $ASSETBUILD_MISSING, else "error"); honoured only when app.debug
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click
from flask import Flask, Response, abort, request, send_from_directory
from flask.cli import ScriptInfo

from assetbuild.jinja import AssetExtension
from assetbuild.manifest import MANIFEST_NAME, PlainCopy
from assetbuild.runtime import (ENV_MANIFEST, ENV_RELOAD, ENV_URL_PREFIX, Assets, flag,
                                missing_mode, setting)

IMMUTABLE_MAX_AGE = 31536000
PLAIN_MAX_AGE = 60  # copies under plain names, which each build replaces
# Set by `flask assetbuild ...` while it loads the app: the release does not exist yet.
_build_stage = False


@dataclass
class Release:
    """What ``init_app`` keeps in ``app.extensions['assetbuild']``."""

    folder: Path | None  # None: no manifest configured
    sources: list[Path]
    url_prefix: str
    assets: Assets | None = None  # None only while `flask assetbuild` builds it


class AssetBuild:
    """The extension; one instance may serve several apps."""

    def __init__(self, app: Flask | None = None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Load the release named by the app's config and wire it into *app*."""
        configured = setting(app.config.get("ASSETBUILD_MANIFEST"), ENV_MANIFEST)
        manifest = Path(app.root_path, configured) if configured else None
        static_path = (app.static_url_path or "/static").rstrip("/") + "/"
        prefix = setting(app.config.get("ASSETBUILD_URL_PREFIX"), ENV_URL_PREFIX, static_path)
        sources = app.config.get("ASSETBUILD_SOURCES") or (
            [app.static_folder] if app.static_folder else [])
        release = Release(folder=_release_folder(manifest),
                          sources=[Path(app.root_path, s) for s in sources], url_prefix=prefix)
        app.extensions["assetbuild"] = release
        if _build_stage:
            return
        reload = flag(app.config.get("ASSETBUILD_RELOAD"), ENV_RELOAD, app.debug)
        missing = missing_mode(app.config.get("ASSETBUILD_MISSING"), debug=app.debug)
        assets = release.assets = Assets.load(manifest, prefix, reload=reload, missing=missing)
        folder = release.folder = Path(assets.source).parent
        app.static_folder = str(folder)
        if "static" not in app.view_functions:
            app.add_url_rule(f"{static_path}<path:filename>", endpoint="static")
        app.view_functions["static"] = lambda filename: _serve(assets, folder, filename)
        app.url_defaults(lambda endpoint, values: _fingerprint(assets, endpoint, values))
        if _is_remote(prefix):  # a CDN: url_for('static', ...) points there, like the globals
            app.url_for = _remote_url_for(app.url_for, assets)  # type: ignore[method-assign]
            app.jinja_env.globals["url_for"] = app.url_for
        app.jinja_env.assetbuild = assets  # type: ignore[attr-defined]
        app.jinja_env.add_extension(AssetExtension)


def _release_folder(manifest: Path | None) -> Path | None:
    if manifest is None:
        return None
    return manifest.parent if manifest.suffix == ".json" else manifest


def assets_of(app: Flask) -> Assets:
    """The release loaded for *app*."""
    release: Release = app.extensions["assetbuild"]
    if release.assets is None:
        raise RuntimeError("the release is not loaded while `flask assetbuild` builds it")
    return release.assets


def _fingerprint(assets: Assets, endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values:
        values["filename"] = _release_path(assets, values["filename"])


def _release_path(assets: Assets, name: str) -> str:
    """The release's file for *name*: a logical name, or a fingerprinted path already."""
    return name if assets.is_fingerprinted(name) else assets.path(name)


def _is_remote(prefix: str) -> bool:
    return prefix.startswith("//") or "://" in prefix


def _remote_url_for(url_for: Callable[..., str], assets: Assets) -> Callable[..., str]:
    """*url_for*, giving the URL under the (remote) prefix for a static file."""
    def remote_url_for(endpoint: str, **values: Any) -> str:
        name = values.get("filename")
        others = {k for k, v in values.items() if v is not None} - {"filename", "_external", "_scheme"}
        if endpoint != "static" or not isinstance(name, str) or others:
            return url_for(endpoint, **values)  # with a query or an anchor: the app's own route
        return assets.file_url(_release_path(assets, name))
    return remote_url_for


def _serve(assets: Assets, folder: Path, filename: str) -> Response:
    # Of the release in use, which may have been rebuilt: a fingerprinted file or a copy
    # under a plain name. Only the release's files are served: no manifest, no stray files.
    file = assets.file_entry(filename) or assets.plain_copy(filename)
    if file is None:
        abort(404)
    response = None
    for coding in ("br", "gzip"):
        if coding in file.encodings and request.accept_encodings[coding]:
            response = send_from_directory(folder, file.encodings[coding],
                                           mimetype=_media_type(filename))
            response.content_encoding = coding
            break
    if response is None:
        response = send_from_directory(folder, filename)
    if file.encodings:
        response.vary.add("Accept-Encoding")
    response.cache_control.no_cache = None
    response.cache_control.public = True
    if isinstance(file, PlainCopy):  # replaced by the next build: browsers look again soon
        response.cache_control.max_age = PLAIN_MAX_AGE
    else:
        response.cache_control.max_age = IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
    return response


def _media_type(filename: str) -> str:
    kind, _ = mimetypes.guess_type(filename)
    if kind and (kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml")):
        return f"{kind}; charset=utf-8"
    return kind or "application/octet-stream"


@click.group("assetbuild", help="Build the app's asset release (build stage only).")
def cli() -> None:
    pass


@cli.command("compile")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="release folder (default: the folder of ASSETBUILD_MANIFEST)")
@click.pass_context
def compile_command(ctx: click.Context, out: str | None) -> None:
    """Compile ASSETBUILD_SOURCES (default: the static folder) into the release folder."""
    global _build_stage
    from assetbuild import config as config_mod
    from assetbuild.compiler import compile_release
    from assetbuild.diagnostics import BuildError, UsageError

    _build_stage = True
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
    finally:
        _build_stage = False
    release: Release | None = app.extensions.get("assetbuild")
    if release is None:
        raise click.UsageError("the app does not use AssetBuild(app)")
    target = Path(out) if out else release.folder
    if target is None:
        raise click.UsageError(f"set ASSETBUILD_MANIFEST (e.g. build/static/{MANIFEST_NAME}) "
                               "or pass --out")
    try:
        cfg = config_mod.load({"sources": [str(s) for s in release.sources], "out": str(target),
                               "url_prefix": release.url_prefix}, cwd=Path(app.root_path))
        result = compile_release(cfg, on_warning=lambda d: click.echo(d.format(), err=True))
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except BuildError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        raise SystemExit(1) from None
    click.echo(result.describe())
