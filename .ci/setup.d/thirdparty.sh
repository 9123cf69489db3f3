#!/usr/bin/env bash
# Real third-party packages for tests/test_third_party.py, tests/test_minified_behaviour.py,
# tests/test_real_packages.py and tests/test_minify_proof.py (with acorn, an independent
# parser), pinned in tests/thirdparty/package-lock.json, into tests/.npm-corpus (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/npm_pinned.sh tests/thirdparty tests/.npm-corpus
