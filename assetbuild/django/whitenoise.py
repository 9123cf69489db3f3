"""WhiteNoise hook: mark the release's fingerprinted files immutable.

    from assetbuild.django.whitenoise import immutable_file_test
    WHITENOISE_IMMUTABLE_FILE_TEST = immutable_file_test

Copies under plain names (which each build replaces) are not: WhiteNoise gives them its
WHITENOISE_MAX_AGE (60 seconds unless DEBUG).
"""

from __future__ import annotations

from urllib.parse import urlparse


def immutable_file_test(path: str, url: str) -> bool:
    """True when *url* (under STATIC_URL) is a fingerprinted file of the loaded release."""
    from django.conf import settings

    from assetbuild.django.apps import loaded_assets

    prefix = urlparse(settings.STATIC_URL).path
    return url.startswith(prefix) and loaded_assets().is_fingerprinted(url[len(prefix):])
