"""A static files finder for the release, so ``runserver`` with ``DEBUG = True`` serves the
fingerprinted files that ``{% static %}`` names:

    STATICFILES_FINDERS = ["assetbuild.django.finders.ReleaseFinder", ...]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.staticfiles.finders import BaseFinder


class ReleaseFinder(BaseFinder):
    """Finds the files of the loaded release (following rebuilds when it reloads); lists
    none, since they are build output, not sources."""

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        """The file of fingerprinted *path*; ``[]`` when the release has none (as Django's
        finders answer)."""
        assets = apps.get_app_config("assetbuild").assets
        if assets is None or not assets.is_fingerprinted(path):
            return []
        found = str(Path(assets.source).parent / path)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, Any]]:
        return iter(())
