"""The build settings that `compile` and `watch` share on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SETTINGS_ORDER = """\
settings, each overriding the ones before it:
  1. [tool.assetbuild] in ./pyproject.toml, or ./assetbuild.toml, or --config FILE
  2. ASSETBUILD_* environment variables (ASSETBUILD_OUT, ASSETBUILD_SOURCES, ...)
  3. command-line flags: a flag typed here always wins"""


def add_build_options(p: argparse.ArgumentParser, cache_help: str) -> None:
    """Source folders, output, config file and every setting a flag can override; the
    order of the settings' sources goes at the end of the help."""
    p.epilog = SETTINGS_ORDER
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="source folders; logical names are paths relative to each (the first "
                        "folder wins when two hold the same name)")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder for the release")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="settings file (default: ./pyproject.toml with [tool.assetbuild], "
                        "or ./assetbuild.toml)")
    p.add_argument("--url-prefix", metavar="PREFIX",
                   help="URL the release is served under: a path from the site's root "
                        "(default /static/) or a full URL (https://cdn.example.com/static/); "
                        "absolute references under it are rewritten too")
    p.add_argument("--ignore", metavar="GLOB", action="append",
                   help="skip files matching GLOB (repeatable; a pattern without '/' matches "
                        "a name in any folder). Dotfiles and dot-folders are always skipped")
    p.add_argument("--plain-names", metavar="GLOB", action="append",
                   help="also write files matching GLOB under their plain, unfingerprinted "
                        "names, for libraries that load files by name at run time "
                        "(repeatable; replaces the default list of well-known ones)")
    p.add_argument("--no-plain-names", dest="plain_names", action="store_const", const=[],
                   help="write no file under its plain name")
    p.add_argument("--hash-length", metavar="N", type=int,
                   help="hex digits of the fingerprint in file names (default 16)")
    p.add_argument("--strict", action="store_true", default=None,
                   help="treat references to missing files as errors")
    p.add_argument("--no-minify", dest="minify", action="store_false", default=None,
                   help="copy JS and CSS without minifying (references are still rewritten)")
    p.add_argument("--no-gzip", dest="gzip", action="store_false", default=None,
                   help="do not write .gz files")
    p.add_argument("--brotli", dest="brotli", action="store_true", default=None,
                   help="write .br files for compressible files of 1 KiB and more, source maps "
                        "excepted (default: when the brotli package is installed)")
    p.add_argument("--no-brotli", dest="brotli", action="store_false",
                   help="do not write .br files")
    p.add_argument("--brotli-quality", metavar="N", type=int,
                   help="brotli quality for every .br file, 0-11 (default 6; 11 writes fewer bytes "
                        "for many times the CPU: see docs/performance.md)")
    p.add_argument("--sourcemaps", dest="sourcemaps", action="store_true", default=None,
                   help="write a source map for every minified script and stylesheet")
    p.add_argument("--no-sourcemaps", dest="sourcemaps", action="store_false",
                   help="do not write source maps (the default)")
    p.add_argument("--cache", dest="cache_dir", metavar="DIR", help=cache_help)
    p.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="worker processes (default: one per CPU; 1 runs in-process)")


def build_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (None where a flag was not given)."""
    return {
        "sources": args.sources or None, "out": args.out, "url_prefix": args.url_prefix,
        "ignore": args.ignore, "plain_names": args.plain_names,
        "hash_length": args.hash_length, "strict": args.strict,
        "minify": args.minify, "gzip": args.gzip, "brotli": args.brotli,
        "brotli_quality": args.brotli_quality, "cache_dir": args.cache_dir, "jobs": args.jobs,
        "sourcemaps": args.sourcemaps,
    }
