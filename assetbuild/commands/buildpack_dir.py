"""`assetbuild buildpack-dir`: print the folder of the buildpack shipped inside the package."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

from assetbuild.diagnostics import UsageError

HELP = """\
Print the folder of the buildpack that ships inside this package. It is a Cloud Native
Buildpack (Buildpack API 0.10: bin/detect, bin/build) and a classic buildpack
(bin/detect, bin/compile, bin/release) that runs 'assetbuild compile' after a Python
buildpack, with the build cache kept between builds.

examples:
  pack build myapp --builder paketobuildpacks/builder-jammy-base \\
      --buildpack paketo-buildpacks/python --buildpack "$(assetbuild buildpack-dir)"
  cp -r "$(assetbuild buildpack-dir)" vendor/assetbuild-buildpack"""

SCRIPTS = ("detect", "build", "compile", "release")


def buildpack_dir() -> Path:
    """The buildpack folder inside the installed package."""
    return Path(__file__).resolve().parent.parent / "buildpack"


def ensure_executable(folder: Path) -> None:
    """Give the bin/ scripts their executable bits back when an installer dropped them."""
    for name in SCRIPTS:
        script = folder / "bin" / name
        if not script.is_file():
            raise UsageError(f"{script}: missing from the installed package; reinstall assetbuild")
        mode = script.stat().st_mode
        if mode & 0o111 == 0o111:
            continue
        try:
            script.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError:
            if not os.access(script, os.X_OK):
                raise UsageError(f"{script}: not executable and cannot be changed; copy the "
                                 "folder somewhere writable and run 'chmod +x bin/*' there") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("buildpack-dir", help="print the folder of the bundled buildpack",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = buildpack_dir()
    ensure_executable(folder)
    print(folder)
    return 0
