"""``manage.py assetbuild``: compile every app's static/ and STATICFILES_DIRS into the release."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Compile STATICFILES_DIRS and every app's static/ folder into STATIC_ROOT (or the "
            "folder of ASSETBUILD_MANIFEST): minified, fingerprinted, with manifest.json. "
            "Replaces collectstatic in a build stage.")
    requires_system_checks: list[str] = []  # the release this command makes does not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-minify", dest="minify", action="store_false", default=None,
                            help="copy JS and CSS without minifying")

    def handle(self, *args: Any, minify: bool | None = None, **options: Any) -> None:
        from assetbuild.django.build import build_release

        result = build_release(lambda d: self.stderr.write(d.format()), minify=minify)
        if options.get("verbosity", 1) > 0:
            self.stdout.write(result.describe())
