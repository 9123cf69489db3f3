#!/usr/bin/env bash
# node packages for tests/test_sourcemaps.py: source-map (an independent consumer of the
# maps assetbuild writes) and esbuild (a real compiler whose maps assetbuild composes),
# at the versions pinned in tests/sourcemap/package-lock.json, into tests/.sourcemap-node
# (git-ignored). Idempotent: does nothing when the installed lock file is already current.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null && command -v npm >/dev/null || {
  apt-get update
  apt-get install -y --no-install-recommends nodejs npm
}
dest=tests/.sourcemap-node
mkdir -p "$dest"
if cmp -s tests/sourcemap/package-lock.json "$dest/package-lock.json" \
    && [ -d "$dest/node_modules" ]; then
  echo "source map test packages are current"
  exit 0
fi
cp tests/sourcemap/package.json tests/sourcemap/package-lock.json "$dest/"
# esbuild's install script only checks its binary, which the platform package holds.
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
