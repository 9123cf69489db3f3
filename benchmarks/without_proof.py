"""`assetbuild` with the minify proofs switched off: the benchmark's peer for their cost.

    python benchmarks/without_proof.py compile SRC --out OUT [flags]

Runs the real command line with one change: rjsmin's and rcssmin's output is taken as it
is, as before issue 18, instead of being proven equal to the source (assetbuild/jsproof.py,
cssproof.py). Never use it for a release: that output is what the proof exists to catch.

A script is then not walked whole either: the walk (js.skeleton) is there for the proof,
and without it the reference scan walks a script only as far as its last import or
source map comment, and not at all when it has none.
"""

from __future__ import annotations

import sys

import rcssmin

from assetbuild import cli, css, js


def _unproven_js(text: str, skeleton: js.Skeleton, attempt=None, show=None) -> str:
    if attempt is None:
        return js.minify(text, [])
    return attempt([], False)


def _unproven_css(text: str) -> str:
    return rcssmin.cssmin(text, keep_bang_comments=True)


_scan = js.scan
_NO_SKELETON: js.Skeleton = ([], [])


def _scan_as_without_proof(text: str, skeleton: js.Skeleton | None = None) -> js.Scan:
    return _scan(text)


if __name__ == "__main__":
    js.minify_proven = _unproven_js
    css.minify = _unproven_css
    js.skeleton = lambda text: _NO_SKELETON
    js.scan = _scan_as_without_proof
    sys.exit(cli.main(sys.argv[1:]))
