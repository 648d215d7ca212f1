#!/usr/bin/env bash
# Runs one test command so that any sanitizer report from any process it
# starts fails it (docs/decisions/0029). The end-to-end tests send the
# adapter's stderr to a log file and some of them expect it to exit non-zero,
# so neither the exit code nor the test's own output is a reliable signal:
# every report goes to a file of its own (log_path) in a fresh directory, and
# the test fails if that directory is not empty afterwards. GCC's UBSan
# ignores log_path and always writes to stderr, which the tests send to their
# work directories' logs: TMPDIR points into the same fresh directory and its
# files are searched for "runtime error:" too (with UBSAN_OPTIONS
# abort_on_error=1 a UBSan stop is also a SIGABRT, which no test takes for a
# clean exit; that covers stderr a test captured and did not keep).
#   CRP_SANITIZER_REPORTS=DIR tests/sanitizers/run_checked.sh COMMAND [ARGS...]
# Without CRP_SANITIZER_REPORTS it runs COMMAND as it is.
set -uo pipefail
if [ -z "${CRP_SANITIZER_REPORTS:-}" ]; then
  exec "$@"
fi
mkdir -p "$CRP_SANITIZER_REPORTS"
dir=$(mktemp -d "$CRP_SANITIZER_REPORTS/run.XXXXXX")
# log_path is a common flag: each runtime reads it from its own variable.
for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS; do
  export "$v=${!v:+${!v}:}log_path=$dir/report"
done
mkdir "$dir/tmp"
TMPDIR="$dir/tmp" "$@"
rc=$?
shopt -s nullglob
reports=("$dir"/report*)
# Reports written to stderr: the adapters' logs the test kept.
while IFS= read -r -d '' f; do
  reports+=("$f")
done < <(grep -rlZE ': runtime error: |ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer' "$dir/tmp")
if [ ${#reports[@]} -gt 0 ]; then
  for r in "${reports[@]}"; do
    echo "!! sanitizer report in $r:" >&2
    grep -m1 -A 40 -E 'runtime error: |(ERROR|WARNING): [A-Za-z]+Sanitizer' "$r" >&2
  done
  echo "!! ${#reports[@]} sanitizer report(s) from: $*" >&2
  exit 1
fi
# No report: the work directories go if the test passed, stay if it failed.
[ "$rc" = 0 ] && rm -rf "$dir"
exit "$rc"
