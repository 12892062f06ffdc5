#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) and runs each
# for a bounded time, starting from its seed corpus (fuzz/corpus/<name>/) and
# the inputs that once failed (fuzz/regressions/<name>/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    # default 60 s, every target
#
# New interesting inputs go to $RETORT_FUZZ_DIR/corpus/<name>/ (default
# build-fuzz/), never into the repo. A crash, sanitizer report, leak or hang
# (an input running over 10 s) stops that target, leaves the input in
# $RETORT_FUZZ_DIR/artifacts/<name>/ and makes the script exit 1 after the
# other targets ran. To keep one as a regression test, copy it to
# fuzz/regressions/<name>/ (ctest replays it: fuzz_replay_<name>).
# Environment: RETORT_JOBS (build, default 2), RETORT_FUZZ_DIR.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(migration_yaml config target sql)
build=${RETORT_FUZZ_DIR:-build-fuzz}
jobs=${RETORT_JOBS:-2}

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
echo "==> configure + build the fuzz targets ($build/)"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRETORT_FUZZ=ON \
  -DRETORT_BUILD_TESTS=OFF -DRETORT_BUILD_BENCHMARKS=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  echo "==> fuzz_$t for ${seconds}s"
  # -timeout: an input running longer is a hang; -rss_limit_mb: a runaway allocation.
  # -max_len: room for multi-statement scripts and nested YAML.
  if ! "$build/fuzz/fuzz_$t" "$corpus" "fuzz/corpus/$t" "fuzz/regressions/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$build/fuzz_$t.log"; then
    failed+=("$t")
    tail -n 60 "$build/fuzz_$t.log"
  fi
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+.*DONE)' "$build/fuzz_$t.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs in $build/artifacts/)"
  exit 1
fi
echo "==> no crash, hang or sanitizer report in ${#targets[@]} target(s) x ${seconds}s"
