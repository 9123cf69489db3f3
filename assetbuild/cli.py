"""Command-line entry point: parses arguments, runs one command, maps failures to exit codes.

Exit codes: 0 success, 1 build error, 2 usage or configuration error, 130 interrupted.
Each command lives in ``assetbuild.commands.<name>`` with ``register(subparsers)``; the
function it sets as ``func`` returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from assetbuild import __version__
from assetbuild.diagnostics import BuildError, UsageError

# One module per sub-command, in the order --help lists them.
COMMANDS = ("compile", "watch", "pack", "verify", "clean", "publish", "buildpack_dir")

DESCRIPTION = """\
Compile a web app's static assets in the build stage: minify JS and CSS, bundle,
rewrite references to fingerprinted names, precompress, and write a release folder
with manifest.json, which Django, Flask and Jinja2 read at run time.

Settings, each overriding the ones before it: [tool.assetbuild] in pyproject.toml (or
assetbuild.toml), then ASSETBUILD_* environment variables, then command-line flags."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with a one-line hint, never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="assetbuild", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"assetbuild {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"assetbuild.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"assetbuild: error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        for diag in exc.diagnostics:
            print(diag.format(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("assetbuild: interrupted", file=sys.stderr)
        return 130
