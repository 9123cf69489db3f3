"""`assetbuild` with the minify proofs switched off: the benchmark's peer for their cost.

    python benchmarks/without_proof.py compile SRC --out OUT [flags]

Runs the real command line with one change: rjsmin's and rcssmin's output is taken as it
is, as before issue 18, instead of being proven equal to the source (assetbuild/jsproof.py,
cssproof.py). Never use it for a release: that output is what the proof exists to catch.
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


if __name__ == "__main__":
    js.minify_proven = _unproven_js
    css.minify = _unproven_css
    sys.exit(cli.main(sys.argv[1:]))
