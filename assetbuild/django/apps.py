"""The app config: loads the release at start-up; a process that serves pages stops there
when it cannot (see ``assetbuild.django.process``), any other keeps the reason."""

from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from assetbuild import runtime
from assetbuild.django.process import manage_py_command, serves_pages
from assetbuild.manifest import MANIFEST_NAME, ManifestError
from assetbuild.runtime import ENV_MANIFEST, ENV_RELOAD, ENV_URL_PREFIX, Assets, flag, missing_mode, setting


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
                                      reload=reload_setting(), missing=missing_setting())
        except (ManifestError, ValueError) as exc:
            self.error = str(exc)
            if not serves_pages():  # a build stage's or CI's command: no release needed
                return
            message = f"assetbuild: {exc} (in the build stage, run 'python manage.py assetbuild')"
            if manage_py_command() is not None:
                # runserver: one line and exit 1, like a CommandError (an exception would be
                # a traceback, and its autoreloader would wait for a file change).
                raise SystemExit(message) from None
            raise ImproperlyConfigured(message) from None  # a WSGI or ASGI server
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


def missing_setting() -> str:
    """ASSETBUILD_MISSING, else $ASSETBUILD_MISSING, else "error"; "warn" only with DEBUG."""
    return missing_mode(getattr(settings, "ASSETBUILD_MISSING", None), debug=settings.DEBUG)


def loaded_assets() -> Assets:
    """The release loaded at start-up; a clear error when it could not be."""
    try:
        config = apps.get_app_config("assetbuild")
    except LookupError:
        raise ImproperlyConfigured("assetbuild: add 'assetbuild.django' to INSTALLED_APPS") from None
    if config.assets is None:
        raise ImproperlyConfigured(f"assetbuild: {config.error}")
    return config.assets

