"""Build stage for Flask apps: ``flask assetbuild compile`` (the ``flask.commands`` entry
point). It loads the app without its release and compiles the app's static sources and
every blueprint's static folder, each under its route's mount (``assetbuild.flask``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo

from assetbuild.flask import Release, own_sources, static_routes
from assetbuild.manifest import MANIFEST_NAME


@click.group("assetbuild", help="Build the app's asset release (build stage only).")
def cli() -> None:
    pass


def source_folders(app: Flask) -> dict[Path, str]:
    """Each source folder of *app*, in order, with the logical prefix of its files: the
    app's own first (no prefix), then each blueprint's static folder under its mount."""
    folders = {Path(folder): "" for folder in own_sources(app)}
    for route in static_routes(app).values():
        if route is not None and route.mount:
            folders.setdefault(Path(route.folder), route.mount)
    return folders


@cli.command("compile")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="release folder (default: the folder of ASSETBUILD_MANIFEST)")
@click.pass_context
def compile_command(ctx: click.Context, out: str | None) -> None:
    """Compile ASSETBUILD_SOURCES (default: the static folder) and the blueprints' static
    folders into the release folder."""
    from assetbuild import config as config_mod
    from assetbuild.compiler import compile_release
    from assetbuild.diagnostics import BuildError, UsageError

    app = ctx.ensure_object(ScriptInfo).load_app()
    release: Release | None = app.extensions.get("assetbuild")
    if release is None:
        raise click.UsageError("the app does not use AssetBuild(app)")
    target = Path(out) if out else release.folder
    if target is None:
        raise click.UsageError(f"set ASSETBUILD_MANIFEST (e.g. build/static/{MANIFEST_NAME}) "
                               "or pass --out")
    folders = source_folders(app)
    try:
        cfg = config_mod.load({"sources": [str(f) for f in folders], "out": str(target),
                               "url_prefix": release.url_prefix}, cwd=Path(app.root_path))
        cfg.prefixes = {folder.resolve(): prefix for folder, prefix in folders.items() if prefix}
        result = compile_release(cfg, on_warning=lambda d: click.echo(d.format(), err=True))
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except BuildError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        raise SystemExit(1) from None
    click.echo(result.describe())
