"""`assetbuild clean`: remove files that none of the last N manifests needs."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from assetbuild import clean, folder_lock
from assetbuild.diagnostics import BuildError, counted, error
from assetbuild.manifest import ManifestError

HELP = """\
A long-lived output folder collects fingerprinted files of old builds, which rolling
deploys need for a while. The compiler keeps a copy of each manifest in
manifests/<build_id>.json; clean keeps the current manifest plus the newest others up
to N, and removes every file that none of them names (and the older manifest copies).
A file the current manifest needs is never removed. A compile writing into the same
folder is waited for (and waits for clean), so clean never removes its new files.

examples:
  assetbuild clean build/static --keep 3
  assetbuild clean build/static --keep 1 --dry-run"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clean", help="remove old files no kept manifest needs",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("release", metavar="DIR", help="output folder holding manifest.json")
    p.add_argument("--keep", metavar="N", type=_positive, default=3,
                   help="manifests to keep, the current one included (default 3)")
    p.add_argument("-n", "--dry-run", action="store_true", help="list what would go, remove nothing")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=run)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.release)
    alone = nullcontext() if args.dry_run else folder_lock.locked(  # no build writes meanwhile
        folder, exclusive=True,
        on_wait=lambda: print(f"{folder}: waiting for the build writing there to finish",
                              file=sys.stderr))
    with alone:
        try:
            cleanup = clean.plan(folder, args.keep)
        except ManifestError as exc:
            raise BuildError(error(f"{exc}; nothing removed")) from None
        if not args.dry_run:
            try:
                clean.apply(folder, cleanup)
            except OSError as exc:
                raise BuildError(error(f"cannot remove: {exc.strerror or exc}",
                                       file=exc.filename)) from None
    if not args.quiet:
        verb = "would remove" if args.dry_run else "removed"
        for rel in cleanup.remove:
            print(f"{verb} {rel}")
        print(f"{args.release}: kept {counted(len(cleanup.kept_builds), 'build')} "
              f"({', '.join(cleanup.kept_builds)}, current first); "
              f"{verb} {counted(len(cleanup.remove), 'file')}")
    return 0
