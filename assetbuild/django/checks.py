"""System checks: the release must load (``check --deploy``; a process serving pages stops
at start-up without it), and ``runserver`` must be able to serve it."""

from __future__ import annotations

import sys
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.management import get_commands

from assetbuild.django.process import manage_py_command

STORAGE = "assetbuild.django.ManifestStorage"
FINDER = "assetbuild.django.finders.ReleaseFinder"


@register("assetbuild")
def check_static_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    backend = getattr(settings, "STORAGES", {}).get("staticfiles", {}).get("BACKEND")
    if backend != STORAGE:
        messages.append(Warning(
            f"STORAGES['staticfiles'] uses {backend!r}, so {{% static %}} does not return "
            "fingerprinted URLs",
            hint=f"set STORAGES['staticfiles']['BACKEND'] = {STORAGE!r}", id="assetbuild.W001"))
    if _runserver_serves_sources():
        messages.append(Warning(
            "runserver with DEBUG = True serves /static/ from the source folders, where the "
            "fingerprinted names of the release do not exist (every asset would be a 404)",
            hint=f"add {FINDER!r} to STATICFILES_FINDERS", id="assetbuild.W002"))
    return messages


@register("assetbuild", deploy=True)
def check_release_for_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config = apps.get_app_config("assetbuild")
    if not config.error:
        return []
    return [Error(f"the asset release could not be loaded: {config.error}",
                  hint="run 'python manage.py assetbuild' in the build stage, or set "
                       "ASSETBUILD_MANIFEST", id="assetbuild.E001")]


def _runserver_serves_sources() -> bool:
    """Whether this is staticfiles' ``runserver`` answering /static/ through the finders
    (DEBUG, no --nostatic), none of which finds the release's files."""
    return (settings.DEBUG and manage_py_command() == "runserver"
            and "--nostatic" not in sys.argv
            and get_commands().get("runserver") == "django.contrib.staticfiles"
            and FINDER not in settings.STATICFILES_FINDERS)
