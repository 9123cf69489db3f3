"""``{% load assetbuild %}``: asset_url, asset_integrity, asset_tag and importmap tags."""

from __future__ import annotations

from typing import Any

from django import template
from markupsafe import Markup

from assetbuild.django.apps import loaded_assets

register = template.Library()


@register.simple_tag
def asset_url(name: str) -> str:
    """``{% asset_url "img/logo.png" %}``: the fingerprinted URL."""
    return loaded_assets().url(name)


@register.simple_tag
def asset_integrity(name: str) -> str:
    """``{% asset_integrity "js/app.js" %}``: the SRI value."""
    return loaded_assets().integrity(name)


@register.simple_tag
def asset_tag(name: str, kind: str | None = None, **attrs: Any) -> Markup:
    """``{% asset_tag "js/app.js" defer=True %}``: a <script>/<link> tag with integrity."""
    return loaded_assets().tag(name, kind, **attrs)


@register.simple_tag
def importmap(**attrs: Any) -> Markup:
    """``{% importmap %}``: the release's <script type="importmap">."""
    return loaded_assets().importmap_tag(**attrs)
