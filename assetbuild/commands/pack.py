"""`assetbuild pack`: write a reproducible .tar.gz of a release folder."""

from __future__ import annotations

import argparse

from assetbuild.diagnostics import BuildError, error
from assetbuild.manifest import ManifestError

HELP = """\
Write the manifest, the import map and every file the manifest names into one
.tar.gz that is the same byte for byte wherever it is built: sorted entries, mtimes
from SOURCE_DATE_EPOCH (else 0), owner 0:0 without names, a gzip header without time
or name. Old files of earlier builds in the folder stay out. The release is verified
first; a release that is not whole is never packed.

examples:
  assetbuild pack build/static -o release.tar.gz
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) assetbuild pack build/static -o release.tar.gz
  tar -xzf release.tar.gz -C /app/static      # then: assetbuild verify /app/static"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack", help="write a reproducible .tar.gz of a release folder",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("release", metavar="DIR", help="release folder holding manifest.json")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="archive to write")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print_archive(args.release, args.output, quiet=args.quiet)
    return 0


def print_archive(release: str, output: str, quiet: bool = False) -> None:
    """Write the archive and say where it went and its sha256 (shared with compile --archive)."""
    from assetbuild.archive import write_archive  # tarfile and the verifier: only when packing

    try:
        digest = write_archive(release, output)
    except ManifestError as exc:
        raise BuildError(error(str(exc))) from None
    except OSError as exc:
        raise BuildError(error(f"cannot write archive: {exc.strerror or exc}",
                               file=exc.filename or output)) from None
    if not quiet:
        print(f"{output}: sha256 {digest}")
