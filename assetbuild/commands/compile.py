"""`assetbuild compile`: build a release folder from source folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assetbuild import config as config_mod
from assetbuild.commands.pack import print_archive
from assetbuild.progress import Progress

HELP = """\
Read every file under the source folders, minify JS and CSS, build bundles, rewrite
references (CSS url() and @import, source maps, ES module imports) to fingerprinted
names, write .gz (and .br with the brotli extra) beside compressible files, and write
manifest.json last, so a failed build leaves the previous release intact.

examples:
  assetbuild compile static/ --out build/static
  assetbuild compile static/ vendor/ --out build/static --url-prefix https://cdn.example.com/static/
  assetbuild compile            # settings from [tool.assetbuild] in pyproject.toml"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="build a fingerprinted release folder with manifest.json",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="source folders; logical names are paths relative to each (the first "
                        "folder wins when two hold the same name)")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder for the release")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="settings file (default: ./pyproject.toml with [tool.assetbuild], "
                        "or ./assetbuild.toml)")
    p.add_argument("--url-prefix", metavar="PREFIX",
                   help="URL the release is served under (default /static/); absolute "
                        "references under it are rewritten too")
    p.add_argument("--ignore", metavar="GLOB", action="append",
                   help="skip files matching GLOB (repeatable; a pattern without '/' matches "
                        "a name in any folder). Dotfiles and dot-folders are always skipped")
    p.add_argument("--hash-length", metavar="N", type=int,
                   help="hex digits of the fingerprint in file names (default 16)")
    p.add_argument("--strict", action="store_true", default=None,
                   help="treat references to missing files as errors")
    p.add_argument("--no-minify", dest="minify", action="store_false", default=None,
                   help="copy JS and CSS without minifying (references are still rewritten)")
    p.add_argument("--no-gzip", dest="gzip", action="store_false", default=None,
                   help="do not write .gz files")
    p.add_argument("--brotli", dest="brotli", action="store_true", default=None,
                   help="write .br files (default: when the brotli package is installed)")
    p.add_argument("--no-brotli", dest="brotli", action="store_false",
                   help="do not write .br files")
    p.add_argument("--cache", dest="cache_dir", metavar="DIR",
                   help="build cache folder, reused between builds (build stage only)")
    p.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="worker processes (default: one per CPU; 1 runs in-process)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only warnings and errors (no progress, no summary line)")
    p.add_argument("--archive", metavar="FILE",
                   help="after a successful build, also write a reproducible .tar.gz of the "
                        "release (as 'assetbuild pack' does)")
    p.add_argument("--json", dest="json_out", metavar="FILE",
                   help="write a machine-readable summary to FILE ('-' for stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assetbuild.compiler import compile_release

    flags = {
        "sources": args.sources or None, "out": args.out, "url_prefix": args.url_prefix,
        "ignore": args.ignore, "hash_length": args.hash_length, "strict": args.strict,
        "minify": args.minify, "gzip": args.gzip, "brotli": args.brotli,
        "cache_dir": args.cache_dir, "jobs": args.jobs,
    }
    cfg = config_mod.load(flags, config_file=args.config)
    progress = Progress.for_stream(sys.stderr, quiet=args.quiet)
    try:
        result = compile_release(cfg, on_warning=lambda diag: progress.message(diag.format()),
                                 on_progress=progress.update)
    finally:
        progress.close()
    if args.json_out:
        text = json.dumps(result.summary(), indent=1, sort_keys=True) + "\n"
        if args.json_out == "-":
            sys.stdout.write(text)
        else:
            Path(args.json_out).write_text(text, encoding="utf-8")
    if not args.quiet and args.json_out != "-":
        print(result.describe())
    if args.archive:
        print_archive(result.out_dir, args.archive, quiet=args.quiet or args.json_out == "-")
    return 0
