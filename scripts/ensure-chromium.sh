#!/usr/bin/env bash
# The web UI's browser tests (tests/registry/ui/browser.test.ts) drive Debian's chromium through playwright-core.
# Installs it through apt when it is missing (CI machines are fresh; playwright's own browser download is not used).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "installing chromium for the web UI browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null >&2
apt-get install -y -qq chromium </dev/null >&2
