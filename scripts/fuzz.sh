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
# --minimize folds the working corpus into fuzz/corpus-min with libFuzzer's merge: the 40 inputs
# that together reach the most code edges, ready to commit.
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
    # Inside fuzz/corpus, which is not committed. One folder at a time: the same input (named
    # by its hash) may be in both.
    merged="fuzz/corpus/.merge-$t" control="fuzz/corpus/.merge-$t.txt"
    rm -rf "$merged" "$merged.out" "$control"
    mkdir -p "$merged" "$merged.out"
    for dir in "fuzz/corpus/$t" "fuzz/corpus-min/$t"; do
      find "$dir" -maxdepth 1 -type f -exec cp -f -t "$merged" {} +
    done
    # libFuzzer's merge runs every input and, in its set-cover mode, writes all the code edges
    # each reaches (FT lines; -use_counters=0: edges, not hit counts) to the control file.
    cargo +nightly fuzz run "$t" "$merged.out" "$merged" -- -set_cover_merge=1 -use_counters=0 \
      -merge_control_file="$control" -rss_limit_mb=2048 >"$merged.log" 2>&1 ||
      { tail -20 "$merged.log"; exit 1; }
    # Committed, so kept small (40 inputs a target, under 300 in all): a greedy cover, each
    # input chosen for the most edges not reached yet, until 40 or nothing new.
    rm -f "fuzz/corpus-min/$t"/*
    awk -v budget=40 '
      NR == 1 { n = $1 }
      NR > 2 && NR <= n + 2 { path[NR - 3] = $0 }
      $1 == "FT" { feats[$2] = $0 }
      END {
        for (round = 0; round < budget; round++) {
          best = -1; gain = 0
          for (f = 0; f < n; f++) {
            if (!(f in feats) || (f in chosen)) continue
            m = split(feats[f], a, " "); g = 0
            for (i = 3; i <= m; i++) if (!(a[i] in have)) g++
            if (g > gain) { gain = g; best = f }
          }
          if (best < 0) break
          chosen[best] = 1
          m = split(feats[best], a, " ")
          for (i = 3; i <= m; i++) have[a[i]] = 1
          print path[best]
        }
        for (f in feats) { m = split(feats[f], a, " "); for (i = 3; i <= m; i++) all[a[i]] = 1 }
        reached = 0; for (e in have) reached++; total = 0; for (e in all) total++
        printf "%d of the %d edges the whole corpus reaches\n", reached, total > "/dev/stderr"
      }' "$control" | while read -r input; do cp "$input" "fuzz/corpus-min/$t/"; done
    rm -rf "$merged" "$merged.out" "$merged.log" "$control"
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
