"""Django app: fingerprinted URLs for ``{% static %}``, ``{% load assetbuild %}`` tags, checks,
and ``manage.py assetbuild``, which builds the release in the build stage (``collectstatic``
builds the same one).

    INSTALLED_APPS = [..., "django.contrib.staticfiles", "assetbuild.django"]
    STORAGES = {..., "staticfiles": {"BACKEND": "assetbuild.django.ManifestStorage"}}

Settings: ``ASSETBUILD_MANIFEST`` (default ``STATIC_ROOT/manifest.json``, or
$ASSETBUILD_MANIFEST), ``ASSETBUILD_URL_PREFIX`` (default $ASSETBUILD_URL_PREFIX, then
``STATIC_URL``), ``ASSETBUILD_RELOAD`` (default $ASSETBUILD_RELOAD, then ``DEBUG``) and
``ASSETBUILD_MISSING`` ("warn" logs an unknown asset name instead of raising, honoured only
with ``DEBUG``; "plain" does so in production too). The release is loaded once, in
``AppConfig.ready()``; with reload on, lookups follow rebuilds.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:  # keep `import assetbuild.django` free of storage imports
    if name == "ManifestStorage":
        from assetbuild.django.storage import ManifestStorage
        return ManifestStorage
    raise AttributeError(f"module 'assetbuild.django' has no attribute {name!r}")
