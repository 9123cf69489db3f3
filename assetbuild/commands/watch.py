"""`assetbuild watch`: rebuild the release on every save while developing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assetbuild.diagnostics import Diagnostic, UsageError

HELP = """\
Build the release like 'assetbuild compile', then watch the source folders (and the
settings file) and rebuild whenever a file is saved. Only changed files and the files
that reference them are processed again; manifest.json is replaced atomically. A broken
file is reported and the last good manifest stays in place. Ctrl-C stops.

Needs the watch extra: pip install 'assetbuild[watch]'.

examples:
  assetbuild watch                      # settings from [tool.assetbuild]
  assetbuild watch static/ --out build/static --no-gzip"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("watch", help="rebuild the release whenever a source file changes",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source folders")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder for the release")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="settings file (default: ./pyproject.toml with [tool.assetbuild], "
                        "or ./assetbuild.toml)")
    p.add_argument("--url-prefix", metavar="PREFIX", help="URL the release is served under")
    p.add_argument("--ignore", metavar="GLOB", action="append", help="skip files matching GLOB")
    p.add_argument("--strict", action="store_true", default=None,
                   help="treat references to missing files as errors")
    p.add_argument("--no-minify", dest="minify", action="store_false", default=None,
                   help="copy JS and CSS without minifying")
    p.add_argument("--no-gzip", dest="gzip", action="store_false", default=None,
                   help="do not write .gz files")
    p.add_argument("--no-brotli", dest="brotli", action="store_false", default=None,
                   help="do not write .br files")
    p.add_argument("--cache", dest="cache_dir", metavar="DIR",
                   help="build cache folder (default: a temporary one for this session)")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        raise UsageError("watch needs the watchfiles package: "
                         "pip install 'assetbuild[watch]'") from None
    from assetbuild.watch import Watcher

    flags = {
        "sources": args.sources or None, "out": args.out, "url_prefix": args.url_prefix,
        "ignore": args.ignore, "strict": args.strict, "minify": args.minify,
        "gzip": args.gzip, "brotli": args.brotli, "cache_dir": args.cache_dir,
        "jobs": args.jobs,
    }
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
