"""Building a Django project's release: what ``manage.py assetbuild`` and ``collectstatic``
(through ``ManifestStorage.post_process``) run. Build stage only: imports the compiler."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError

from assetbuild import config as config_mod
from assetbuild.compiler import Result, compile_release
from assetbuild.diagnostics import BuildError, Diagnostic, UsageError
from assetbuild.django.apps import manifest_setting, url_prefix_setting

# collectstatic's default ignore patterns; dotfiles ('.*') are always skipped.
DEFAULT_IGNORE = ["CVS", "*~"]


def release_folder() -> Path:
    """STATIC_ROOT, or the folder of ASSETBUILD_MANIFEST."""
    manifest = manifest_setting()
    if manifest is None:
        raise CommandError("set STATIC_ROOT (or ASSETBUILD_MANIFEST) to say where the "
                           "release goes")
    return Path(manifest).parent if manifest.endswith(".json") else Path(manifest)


def build_release(on_warning: Callable[[Diagnostic], None],
                  minify: bool | None = None) -> Result:
    """Compile STATICFILES_DIRS and every app's static/ folder into the release folder;
    any problem is a CommandError of one line per file."""
    base = Path(getattr(settings, "BASE_DIR", Path.cwd()))
    folders = source_folders()
    flags = {"sources": [str(folder) for _, folder in folders], "out": str(release_folder()),
             "url_prefix": url_prefix_setting(), "minify": minify}
    prefixes: dict[Path, str] = {}
    for prefix, folder in folders:
        if prefixes.setdefault((base / folder).resolve(), prefix) != prefix:
            raise CommandError(f"STATICFILES_DIRS: {folder} is listed twice with different "
                               "prefixes; list it once")
    try:
        cfg = config_mod.load(flags, cwd=base)
        cfg.ignore = [*cfg.ignore, *DEFAULT_IGNORE]
        cfg.prefixes = {root: prefixes[root] + "/" for root in cfg.sources if prefixes.get(root)}
        return compile_release(cfg, on_warning=on_warning)
    except UsageError as exc:
        raise CommandError(str(exc)) from None
    except BuildError as exc:
        raise CommandError("\n".join(d.format() for d in exc.diagnostics)) from None


def source_folders() -> list[tuple[str, Path]]:
    """(prefix, folder): STATICFILES_DIRS in order (a prefix from a ``(prefix, path)``
    entry, else ""), then each installed app's static/ folder; the first file of a name wins."""
    folders = []
    for item in getattr(settings, "STATICFILES_DIRS", []):
        prefix, folder = item if isinstance(item, (tuple, list)) else ("", item)
        folders.append((str(prefix).strip("/"), Path(folder)))
    for app_config in apps.get_app_configs():
        static = Path(app_config.path) / "static"
        if static.is_dir():
            folders.append(("", static))
    return folders
