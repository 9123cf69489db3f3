"""Static files storage whose ``url()`` answers from the release manifest, and whose
``collectstatic`` builds the release as ``manage.py assetbuild`` does."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.files.base import File
from django.core.management.base import CommandError

from assetbuild.django.apps import loaded_assets
from assetbuild.runtime import Assets


class ManifestStorage(StaticFilesStorage):
    """``{% static 'css/site.css' %}`` and ``static()`` give the fingerprinted URL.

    Files live in STATIC_ROOT, written by ``manage.py assetbuild`` or ``collectstatic``; the
    URL comes from the manifest loaded at start-up (with ASSETBUILD_URL_PREFIX, a CDN works
    too).
    """

    _assets: Assets | None = None

    def url(self, name: str | None) -> str:
        assets = self._assets
        if assets is None:
            assets = self._assets = loaded_assets()  # raises with the reason when not loaded
        return assets.url(name or "")

    def _save(self, name: str, content: File) -> str:
        """Write nothing: collectstatic's plain copies would be stray files in the release,
        which post_process() compiles from the sources instead."""
        return name

    def post_process(self, paths: dict[str, Any], dry_run: bool = False,
                     **options: Any) -> Iterator[tuple[str, str, bool]]:
        """collectstatic's last step: build the release from STATICFILES_DIRS and the apps'
        static/ folders, exactly as ``manage.py assetbuild`` does (nothing with --dry-run)."""
        if dry_run:
            return
        linked = sorted(p for p in paths if os.path.islink(self.path(p)))
        if linked:
            raise CommandError(f"{self.path(linked[0])}: collectstatic --link puts links to "
                               "the sources in the release; run it without --link (and with "
                               "--clear to remove them)")
        from assetbuild.django.build import build_release
        from assetbuild.manifest import MANIFEST_NAME, load

        result = build_release(lambda d: print(d.format(), file=sys.stderr))
        manifest = load(Path(result.out_dir) / MANIFEST_NAME)
        for name, entry in manifest.assets.items():
            yield name, entry.path, True
