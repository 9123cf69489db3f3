"""`assetbuild compile`: build a release folder from source folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assetbuild import config as config_mod
from assetbuild.commands.build_options import add_build_options, build_flags
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
    add_build_options(p, "build cache folder, reused between builds (build stage only)")
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

    flags = build_flags(args)
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
        print_archive(str(result.out_dir), args.archive, quiet=args.quiet or args.json_out == "-")
    return 0
