#!/usr/bin/env bash
# node packages for tests/test_sourcemaps.py: source-map (an independent consumer of the
# maps assetbuild writes) and esbuild (a real compiler whose maps assetbuild composes),
# pinned in tests/sourcemap/package-lock.json, into tests/.sourcemap-node (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/npm_pinned.sh tests/sourcemap tests/.sourcemap-node
