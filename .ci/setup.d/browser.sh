#!/usr/bin/env bash
# Headless Chromium for tests/test_browser.py: Debian's package, driven by Playwright for
# Python (installed by the test extra) with executable_path=/usr/bin/chromium. Never runs
# `playwright install`.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium
