"""The app config: loads the release at start-up and fails loudly when it cannot."""

from __future__ import annotations

import sys
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from assetbuild import runtime
from assetbuild.manifest import MANIFEST_NAME, ManifestError
from assetbuild.runtime import ENV_MANIFEST, ENV_RELOAD, ENV_URL_PREFIX, Assets, flag, setting


class AssetBuildConfig(AppConfig):
    name = "assetbuild.django"
    label = "assetbuild"
    verbose_name = "assetbuild"
    default = True

    assets: Assets | None = None
    error: str | None = None  # why the release could not be loaded

    def ready(self) -> None:
        from assetbuild.django import checks  # noqa: F401  (registers the system checks)

        try:
            self.assets = Assets.load(manifest_setting(), url_prefix_setting(),
                                      reload=reload_setting())
        except (ManifestError, ValueError) as exc:
            self.error = str(exc)
            # manage.py commands start without a release (the build stage makes it) and
            # report the error through the system check; a web server must not start.
            if not _started_by_manage_py():
                raise ImproperlyConfigured(
                    f"assetbuild: {exc} (in the build stage, run 'python manage.py assetbuild')"
                ) from None
            return
        runtime.set_default(self.assets)


def manifest_setting() -> str | None:
    """ASSETBUILD_MANIFEST, else $ASSETBUILD_MANIFEST, else STATIC_ROOT/manifest.json."""
    static_root = getattr(settings, "STATIC_ROOT", None)
    default = str(Path(static_root) / MANIFEST_NAME) if static_root else None
    return setting(getattr(settings, "ASSETBUILD_MANIFEST", None), ENV_MANIFEST, default)


def url_prefix_setting() -> str:
    """ASSETBUILD_URL_PREFIX, else $ASSETBUILD_URL_PREFIX, else STATIC_URL."""
    return setting(getattr(settings, "ASSETBUILD_URL_PREFIX", None), ENV_URL_PREFIX,
                   settings.STATIC_URL or "/static/") or "/static/"


def reload_setting() -> bool:
    """ASSETBUILD_RELOAD, else $ASSETBUILD_RELOAD, else DEBUG: follow rebuilds of the release."""
    return flag(getattr(settings, "ASSETBUILD_RELOAD", None), ENV_RELOAD, settings.DEBUG)


def loaded_assets() -> Assets:
    """The release loaded at start-up; a clear error when it could not be."""
    try:
        config = apps.get_app_config("assetbuild")
    except LookupError:
        raise ImproperlyConfigured("assetbuild: add 'assetbuild.django' to INSTALLED_APPS") from None
    if config.assets is None:
        raise ImproperlyConfigured(f"assetbuild: {config.error}")
    return config.assets


def _started_by_manage_py() -> bool:
    from django.core.management import ManagementUtility

    target = ManagementUtility.execute.__code__
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is target:
            return True
        frame = frame.f_back
    return False
