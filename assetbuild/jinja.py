"""Jinja2 extension: ``asset_url``, ``asset_tag``, ``asset_integrity`` and ``importmap`` globals.

    env = Environment(extensions=["assetbuild.jinja.AssetExtension"])
    env.assetbuild = Assets.load("build/static")   # optional: else the process default
    # in development, Assets.load("build/static", reload=True) follows rebuilds

Templates then write ``{{ asset_tag("css/site.css") }}``, ``{{ importmap() }}`` or
``<img src="{{ asset_url('img/logo.png') }}">``. Without ``env.assetbuild`` the extension
uses the process-wide release of ``assetbuild.runtime``: the one the Django app loaded, or
one loaded from $ASSETBUILD_MANIFEST when the environment is created (so at start-up).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_environment
from jinja2.ext import Extension
from markupsafe import Markup

from assetbuild import runtime
from assetbuild.manifest import ManifestError
from assetbuild.runtime import Assets


class AssetExtension(Extension):
    """Adds the asset globals; the release is ``environment.assetbuild`` (an ``Assets``, or
    a function returning it, called whenever a template needs it)."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        environment.extend(assetbuild=getattr(environment, "assetbuild", None)
                           or runtime.configured_default())
        environment.globals.update(asset_url=asset_url, asset_tag=asset_tag,
                                   asset_integrity=asset_integrity, importmap=importmap)


def assets_of(env: Environment) -> Assets:
    """The release a Jinja environment renders with."""
    assets = env.assetbuild or runtime.configured_default()  # type: ignore[attr-defined]
    if callable(assets):  # Flask's, when it reads the release on first use
        assets = assets()
    if assets is None:
        raise ManifestError("no asset release loaded: set ASSETBUILD_MANIFEST, or assign "
                            "environment.assetbuild = Assets.load(...) at start-up")
    return assets


@pass_environment
def asset_url(env: Environment, name: str) -> str:
    """Fingerprinted URL of logical *name*."""
    return assets_of(env).url(name)


@pass_environment
def asset_integrity(env: Environment, name: str) -> str:
    """SRI value of logical *name*."""
    return assets_of(env).integrity(name)


@pass_environment
def asset_tag(env: Environment, name: str, kind: str | None = None, **attrs: Any) -> Markup:
    """``<link>``/``<script>`` tag with integrity for logical *name*."""
    return assets_of(env).tag(name, kind, **attrs)


@pass_environment
def importmap(env: Environment, **attrs: Any) -> Markup:
    """``<script type="importmap">`` for the release's ES modules."""
    return assets_of(env).importmap_tag(**attrs)
