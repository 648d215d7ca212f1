#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan + libFuzzer) in a
# separate build directory and runs each for a bounded time from its seed
# corpus (tests/fuzz/corpus/<target>/). Fails on the first crash, leak,
# timeout or sanitizer report; the reproducer is left in the work directory.
#   tests/fuzz/run.sh                 every target, FUZZ_SECONDS (default 20) each
#   tests/fuzz/run.sh fuzz_cloudevents one target
# Env: FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz), FUZZ_WORK (default
# $FUZZ_BUILD/work: the corpora grow there, the committed seeds stay as they are).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
work=${FUZZ_WORK:-$build/work}

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=pointer-overflow -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g1 -O1"  # line tables: decision 0057
echo "== fuzz: configure and build ($build, clang-14)" >&2
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRP_FUZZ=ON \
  -DCRP_WERROR=OFF -DCRP_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" --target fuzz_targets -j "$(nproc)"

read -r -a targets <<<"$(tr ';' ' ' <"$build/fuzz_targets.txt")"
# Nothing may drop out silently (a renamed file, a CMake `if(EXISTS ...)` that
# no longer holds): every fuzz_*.cpp and every source connector has its target.
built=" ${targets[*]} "
missing=()
# fuzz_source.cpp is built once per source connector, fuzz_state_codec.cpp once per state record.
for src in tests/fuzz/fuzz_*.cpp connectors/*/*_source.cpp fuzz_challenge_codec fuzz_plan_codec; do
  t=$(basename "$src" .cpp)
  case $t in fuzz_source | fuzz_state_codec) continue ;; esac
  [[ $t == fuzz_* ]] || t=fuzz_$t
  [[ $built == *" $t "* ]] || missing+=("$t")
done
[ $# -gt 0 ] && targets=("$@")
for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/$t" ] || missing+=("$t")
done
if ((${#missing[@]})) || ((${#targets[@]} == 0)); then
  echo "fuzz: FAILED: ${#targets[@]} targets; not built: ${missing[*]:-none}" >&2
  exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp
failed=()
for t in "${targets[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus" "$work/artifacts/$t"
  seeds="tests/fuzz/corpus/$t"
  [ -d "$seeds" ] || seeds="tests/fuzz/corpus/${t%_source}"  # shared seeds, e.g. lcs
  [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz: $t for ${seconds}s ($(ls "$corpus" | wc -l) inputs)" >&2
  if ! "$build/tests/fuzz/$t" "$corpus" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
      -rss_limit_mb=2048 -dict=tests/fuzz/json.dict -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$t/" >"$work/$t.log" 2>&1; then
    echo "!! fuzz: $t failed; last lines of $work/$t.log:" >&2
    tail -40 "$work/$t.log" >&2
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/$t.log" | tail -2 >&2 || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (reproducers under $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash" >&2
