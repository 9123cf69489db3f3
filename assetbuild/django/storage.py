"""Static files storage whose ``url()`` answers from the release manifest."""

from __future__ import annotations

from django.contrib.staticfiles.storage import StaticFilesStorage

from assetbuild.django.apps import loaded_assets
from assetbuild.runtime import Assets


class ManifestStorage(StaticFilesStorage):
    """``{% static 'css/site.css' %}`` and ``static()`` give the fingerprinted URL.

    Files live in STATIC_ROOT, written by ``manage.py assetbuild``; the URL comes from the
    manifest loaded at start-up (with ASSETBUILD_URL_PREFIX, a CDN works too).
    """

    _assets: Assets | None = None

    def url(self, name: str | None) -> str:
        assets = self._assets
        if assets is None:
            assets = self._assets = loaded_assets()  # raises with the reason when not loaded
        return assets.url(name or "")
