#!/usr/bin/env bash
# Real third-party packages for tests/test_third_party.py, tests/test_minified_behaviour.py and
# tests/test_real_packages.py (with acorn, its independent parser):
# installs the versions pinned in tests/thirdparty/package-lock.json into tests/.npm-corpus
# (git-ignored). Idempotent: does nothing when the installed lock file is already current.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null && command -v npm >/dev/null || {
  apt-get update
  apt-get install -y --no-install-recommends nodejs npm
}
corpus=tests/.npm-corpus
mkdir -p "$corpus"
if cmp -s tests/thirdparty/package-lock.json "$corpus/package-lock.json" \
    && [ -d "$corpus/node_modules" ]; then
  echo "third-party corpus is current"
  exit 0
fi
cp tests/thirdparty/package.json tests/thirdparty/package-lock.json "$corpus/"
(cd "$corpus" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
