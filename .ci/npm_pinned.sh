#!/usr/bin/env bash
# npm_pinned.sh SPEC_DIR DEST: installs the node packages pinned in SPEC_DIR/package.json and
# package-lock.json into DEST/node_modules (git-ignored), installing node and npm from
# Debian when missing. Idempotent: does nothing when DEST already holds that lock file.
set -euo pipefail
spec=$1 dest=$2
command -v node >/dev/null && command -v npm >/dev/null || {
  apt-get update
  apt-get install -y --no-install-recommends nodejs npm
}
mkdir -p "$dest"
if cmp -s "$spec/package-lock.json" "$dest/package-lock.json" && [ -d "$dest/node_modules" ]; then
  echo "$dest is current"
  exit 0
fi
cp "$spec/package.json" "$spec/package-lock.json" "$dest/"
# --ignore-scripts: esbuild's install script only checks the binary its platform package holds.
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
