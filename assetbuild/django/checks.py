"""System checks shown by ``manage.py check``: the release must load."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

STORAGE = "assetbuild.django.ManifestStorage"


@register("assetbuild")
def check_release(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config = apps.get_app_config("assetbuild")
    messages: list[CheckMessage] = []
    if config.error:
        messages.append(Error(
            f"the asset release could not be loaded: {config.error}",
            hint="run 'python manage.py assetbuild' in the build stage, or set ASSETBUILD_MANIFEST",
            id="assetbuild.E001"))
    backend = getattr(settings, "STORAGES", {}).get("staticfiles", {}).get("BACKEND")
    if backend != STORAGE:
        messages.append(Warning(
            f"STORAGES['staticfiles'] uses {backend!r}, so {{% static %}} does not return "
            "fingerprinted URLs",
            hint=f"set STORAGES['staticfiles']['BACKEND'] = {STORAGE!r}", id="assetbuild.W001"))
    return messages
