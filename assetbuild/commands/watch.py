"""`assetbuild watch`: rebuild the release on every save while developing."""

from __future__ import annotations

import argparse
import sys

from assetbuild.commands.build_options import add_build_options, build_flags
from assetbuild.diagnostics import Diagnostic, UsageError

HELP = """\
Build the release like 'assetbuild compile', then watch the source folders (and the
settings file) and rebuild whenever a file is saved. Only changed files and the files
that reference them are processed again; manifest.json is replaced atomically. A broken
file is reported and the last good manifest stays in place. Ctrl-C stops.

Needs the watch extra (the watchfiles package).

examples:
  assetbuild watch                      # settings from [tool.assetbuild]
  assetbuild watch static/ --out build/static --no-gzip"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("watch", help="rebuild the release whenever a source file changes",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_build_options(p, "build cache folder (default: a temporary one for this session)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        raise UsageError("watch needs the watchfiles package: "
                         "pip install watchfiles (the watch extra)") from None
    from assetbuild.watch import Watcher

    flags = build_flags(args)
    watcher = Watcher(flags, args.config, report=_report, on_warning=_print_warning)
    try:
        watcher.run()
    except KeyboardInterrupt:
        pass
    print("assetbuild: stopped watching", file=sys.stderr)
    return 0


def _report(text: str) -> None:
    print(text, flush=True)


def _print_warning(diag: Diagnostic) -> None:
    print(diag.format(), file=sys.stderr, flush=True)
