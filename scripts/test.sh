#!/usr/bin/env bash
# Every test layer, in order: the protocol core natively, the browser shell in headless
# Chromium, then the built package in Vite, webpack and a plain page, and the sample apps end to
# end against a real OpenID provider, in Chromium and Firefox. (WebKit: npm run test:webkit.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== 1/4 protocol core: cargo test"
cargo test

echo "== 2/4 browser shell in headless Chromium: wasm-pack test"
wasm-pack test --headless --chrome

echo "== 3/4 build the package"
node scripts/build.mjs

echo "== 4/4 the built package: npm pack, bundlers, conformance in Chromium, samples end to end in Chromium and Firefox: node --test"
# --test-force-exit: a file whose tests are done exits even if something it started still runs,
# so a failed hook that leaves a server or browser behind is a failure, not a CI that never ends.
node --test --test-force-exit tests/package/ tests/bundlers/ tests/conformance/ tests/e2e/
