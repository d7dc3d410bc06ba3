#!/usr/bin/env bash
# Runs every cargo-fuzz target (the [[bin]] entries of fuzz/Cargo.toml, as `cargo fuzz list`
# gives them), one after the other:
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
#   scripts/fuzz.sh --minimize [target ...]
# Fuzzing needs a nightly toolchain (for the fuzzers only; the package builds on stable) and
# cargo-fuzz; both are installed here when missing. A run starts from the target's working corpus
# (fuzz/corpus/<target>, not committed, where new inputs go), its seeds (fuzz/seeds) and the
# committed minimized corpus (fuzz/corpus-min). Inputs that crash land in fuzz/artifacts/<target>/:
# fix the cause and copy them to fuzz/regressions/<target>/, so that `cargo test` replays them
# (tests/fuzz_regressions.rs replays seeds, regressions and corpus-min).
# --minimize folds the working corpus into fuzz/corpus-min with `cargo fuzz cmin`: a few inputs
# that reach the code edges both reached (at most 50 a target), ready to commit.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

minimize=false
seconds=60
if [ "${1:-}" = --minimize ]; then
  minimize=true
  shift
elif [ $# -gt 0 ]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/corpus-min/$t"
  if $minimize; then
    echo "== minimizing the corpus of $t"
    # Inside fuzz/ (cargo fuzz cmin renames its result into place) and under the ignored corpus.
    merged="fuzz/corpus/.cmin-$t"
    rm -rf "$merged"
    mkdir -p "$merged"
    # One folder at a time: the same input (named by its hash) may be in both.
    for dir in "fuzz/corpus/$t" "fuzz/corpus-min/$t"; do
      find "$dir" -maxdepth 1 -type f -exec cp -f -t "$merged" {} +
    done
    # A greedy set cover of the code edges reached (not of their hit counts): a corpus small
    # enough to commit, which still reaches every edge the inputs reached.
    cargo +nightly fuzz cmin "$t" "$merged" -- -set_cover_merge=1 -use_counters=0 -rss_limit_mb=2048 2>&1 |
      grep -E '^MERGE-OUTER: [0-9]+ new files|ERROR' || true
    # Committed, so kept small (50 inputs a target, 300 in all): past 50, the smallest 50. The
    # working corpus keeps everything for the next run.
    find "$merged" -maxdepth 1 -type f -printf '%s %f\n' | sort -n -k1,1 -k2,2 | tail -n +51 |
      while read -r _ name; do rm -f "$merged/$name"; done
    rm -f "fuzz/corpus-min/$t"/*
    cp "$merged"/* "fuzz/corpus-min/$t/" 2>/dev/null || true
    rm -rf "$merged"
    echo "$(find "fuzz/corpus-min/$t" -type f | wc -l) files, $(cat "fuzz/corpus-min/$t"/* | wc -c) bytes"
    continue
  fi
  echo "== fuzzing $t for ${seconds}s"
  set +e
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" "fuzz/corpus-min/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 |
    grep -E '^(Done|==|INFO: Seed)|crash|panicked|ERROR|Test unit written|SUMMARY'
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || failed+=("$t")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== found faults in: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
