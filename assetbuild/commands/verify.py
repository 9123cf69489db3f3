"""`assetbuild verify`: check that a release folder or archive is whole."""

from __future__ import annotations

import argparse

from assetbuild.diagnostics import BuildError, error
from assetbuild.manifest import ManifestError
from assetbuild.verify import verify

HELP = """\
Check every file manifest.json names: it must exist, be a regular file inside the
release, and match the size and sha384 integrity in the manifest (.gz variants are
decompressed and checked too; .br variants when the brotli package is installed).
Exit status 0 only when the release is whole; 1 when files are missing, corrupt or
(with --extra) present but not named by the manifest.

examples:
  assetbuild verify build/static
  assetbuild verify release.tar.gz --extra"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check a release folder or archive against its manifest",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="DIR_OR_ARCHIVE", help="release folder or .tar.gz archive")
    p.add_argument("--extra", action="store_true",
                   help="also report files the manifest does not name (manifest history and "
                        "importmap.json excepted) and fail on them")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = verify(args.target, extra=args.extra)
    except ManifestError as exc:
        raise BuildError(error(str(exc))) from None
    for problem in report.problems:
        print(problem.format())
    if not args.quiet or not report.ok:
        for note in report.notes:
            print(f"note: {note}")
        print(report.summary())
    return 0 if report.ok else 1
