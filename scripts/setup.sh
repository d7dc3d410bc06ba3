#!/usr/bin/env bash
# Installs what building and testing spa-login needs, skipping whatever is already there, so it
# is cheap to run before every build. `--browser` also installs Debian's Chromium and
# ChromeDriver, and Firefox ESR, for the browser tests; `--webkit` WebKitGTK's WebDriver and Xvfb
# for `npm run test:webkit`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

with_browser=false
with_webkit=false
for arg in "$@"; do
  case "$arg" in
    --browser) with_browser=true ;;
    --webkit) with_webkit=true ;;
  esac
done

command -v cargo >/dev/null || { say "cargo is missing: install Rust with rustup first"; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The pinned nightly the package is built with (see Cargo.toml), with std's source to rebuild.
package_toolchain=$(sed -n 's/^package-toolchain = "\(.*\)"/\1/p' Cargo.toml)
if ! rustup component list --toolchain "$package_toolchain" --installed 2>/dev/null | grep -q '^rust-src' ||
   ! rustup target list --toolchain "$package_toolchain" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "installing Rust $package_toolchain with rust-src (the package build's toolchain, once)"
  rustup toolchain install "$package_toolchain" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (a few minutes, once)"
  cargo install wasm-pack --locked
fi

# wasm-pack uses the wasm-bindgen on PATH only when its version equals the pinned crate's.
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  # Not --locked: its lock file names a crate version the registry may not serve.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# Installs Debian packages, as root or through sudo.
apt_install() {
  local as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if $with_browser && { ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; }; then
  say "installing Chromium and ChromeDriver from Debian"
  apt_install chromium chromium-driver
fi

# Firefox for the end-to-end tests, driven over WebDriver BiDi by puppeteer-core (an npm package).
if $with_browser && ! [ -x /usr/bin/firefox-esr ]; then
  say "installing Firefox ESR from Debian"
  apt_install firefox-esr
fi

# WebKit for `npm run test:webkit` only: WebKitGTK's WebDriver (with its MiniBrowser) and a
# virtual display to run it in.
if $with_webkit && { ! [ -x /usr/bin/WebKitWebDriver ] || ! command -v xvfb-run >/dev/null; }; then
  say "installing WebKitGTK's WebDriver and Xvfb from Debian"
  apt_install webkit2gtk-driver xvfb xauth
fi

# Root tools: binaryen's wasm-opt (Debian's is too old for current wasm-bindgen output), the
# local OpenID provider, playwright-core, puppeteer-core. `npm install` is quick when nothing
# changed.
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
fi
