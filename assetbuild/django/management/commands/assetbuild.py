"""``manage.py assetbuild``: compile every app's static/ and STATICFILES_DIRS into the release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetbuild.django.apps import manifest_setting, url_prefix_setting


class Command(BaseCommand):
    help = ("Compile STATICFILES_DIRS and every app's static/ folder into STATIC_ROOT (or the "
            "folder of ASSETBUILD_MANIFEST): minified, fingerprinted, with manifest.json. "
            "Replaces collectstatic in a build stage.")
    requires_system_checks: list[str] = []  # the release this command makes does not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-minify", dest="minify", action="store_false", default=None,
                            help="copy JS and CSS without minifying")

    def handle(self, *args: Any, minify: bool | None = None, **options: Any) -> None:
        from assetbuild import config as config_mod
        from assetbuild.compiler import compile_release
        from assetbuild.diagnostics import BuildError, UsageError

        manifest = manifest_setting()
        if manifest is None:
            raise CommandError("set STATIC_ROOT (or ASSETBUILD_MANIFEST) to say where the "
                               "release goes")
        out = Path(manifest).parent if manifest.endswith(".json") else Path(manifest)
        flags = {"sources": [str(p) for p in source_folders()], "out": str(out),
                 "url_prefix": url_prefix_setting(), "minify": minify}
        try:
            cfg = config_mod.load(flags, cwd=Path(getattr(settings, "BASE_DIR", Path.cwd())))
            result = compile_release(cfg, on_warning=lambda d: self.stderr.write(d.format()))
        except UsageError as exc:
            raise CommandError(str(exc)) from None
        except BuildError as exc:
            raise CommandError("\n".join(d.format() for d in exc.diagnostics)) from None
        if options.get("verbosity", 1) > 0:
            self.stdout.write(result.describe())


def source_folders() -> list[Path]:
    """STATICFILES_DIRS in order, then each installed app's static/ folder (first one wins)."""
    folders = []
    for item in getattr(settings, "STATICFILES_DIRS", []):
        if isinstance(item, (tuple, list)):
            raise CommandError(f"STATICFILES_DIRS entry {item!r}: prefixed folders are not "
                               "supported; move the files into a sub-folder of that name")
        folders.append(Path(item))
    for app_config in apps.get_app_configs():
        static = Path(app_config.path) / "static"
        if static.is_dir():
            folders.append(static)
    return folders
