#!/usr/bin/env bash
# The plain sample end to end in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver, classic
# WebDriver) under a virtual display. Not part of `npm test`: the set-up script installs
# WebKitGTK's driver and Xvfb from Debian (once; skipped when present); the package is built
# first if pkg/ is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --webkit
export PATH="$PWD/node_modules/.bin:$PATH"
[ -f pkg/index.js ] || node scripts/build.mjs
xvfb-run -a node --test tests/webkit/
