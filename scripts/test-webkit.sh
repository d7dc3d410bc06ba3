#!/usr/bin/env bash
# The plain sample end to end in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver, classic
# WebDriver) under a virtual display. Not part of `npm test`: it installs WebKitGTK's driver
# and Xvfb from Debian (once; skipped when present), then needs a built package like the
# other browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! [ -x /usr/bin/WebKitWebDriver ] || ! command -v xvfb-run >/dev/null; then
  echo "[test:webkit] installing webkit2gtk-driver and xvfb from Debian"
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq webkit2gtk-driver xvfb xauth >/dev/null
fi
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
[ -f pkg/index.js ] || node scripts/build.mjs
xvfb-run -a node --test tests/webkit/
