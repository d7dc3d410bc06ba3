#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/): `scripts/fuzz.sh [seconds per target] [target ...]`.
# Fuzzing needs a nightly toolchain (for the fuzzers only; the package builds on stable) and
# cargo-fuzz; both are installed here when missing. Inputs that crash land in
# fuzz/artifacts/<target>/: copy them to fuzz/regressions/<target>/ so `cargo test` replays them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fragment jws jwks)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== fuzzing $t for ${seconds}s"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | grep -E '^(Done|==|INFO: Seed)|crash|panicked|ERROR' || true
done
