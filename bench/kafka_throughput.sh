#!/usr/bin/env bash
# Kafka runtime benchmark (docs/benchmarks.md, "Kafka runtime"): on one broker
# of its own (scripts/kafka-local, port 29092, data .kafka/bench-29092), in one
# run:
#   1. throughput: N generated events preloaded once, drained by the bare
#      librdkafka transactional pass-through (build/bench/txn_passthrough) and
#      by `crp-adapter run` (event clock), same partitions, max_batch and
#      commit interval, ROUNDS rounds alternating the order; events/s and ratio.
#   2. latency: `crp-adapter run` (wall clock), challenge.raised at RATE/s (5 s
#      unmeasured warm-up, then LATENCY_SECONDS s, default 30);
#      p50/p99/max event -> challenge.stage_started, read_committed,
#      once per commit interval in LATENCY_INTERVALS and runtime.commit in
#      LATENCY_COMMITS ("default": not set, the adapter's default, adaptive).
#   bench/kafka_throughput.sh            # env: EVENTS ROUNDS PARTITIONS MAX_BATCH
#                                        #      COMMIT_INTERVAL_MS RATE LATENCY_SECONDS
#                                        #      (ROUNDS=0: latency only)
#                                        #      LATENCY_INTERVALS ("100") LATENCY_COMMITS
#                                        #      ("default interval") PASSTHROUGH_LATENCY
#                                        #      (1: also the pass-through's) WORK BUILD
# Prints one JSON line per measurement on stdout; logs and configs stay in WORK.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
BUILD=${BUILD:-build} # the build directory with crp-adapter and bench/txn_passthrough
[ -x "$BUILD/crp-adapter" ] && [ -x "$BUILD/bench/txn_passthrough" ] ||
  { echo "build first: cmake --build $BUILD" >&2; exit 1; }

# shellcheck source=bench/broker-env.sh
source bench/broker-env.sh
bench_broker 29092 crp-kafka-bench

bench() { "$VENV/bin/python" bench/kafka_bench.py "$@" --bootstrap "$bootstrap" \
  --adapter "$BUILD/crp-adapter" --passthrough "$BUILD/bench/txn_passthrough" \
  --partitions "${PARTITIONS:-3}" --max-batch "${MAX_BATCH:-1000}" --work "$WORK"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work $WORK" >&2
if [ "${ROUNDS:-4}" -gt 0 ]; then # ROUNDS=0: latency only
  bench preload --events "${EVENTS:-200000}"
  # WITH_INTERVAL=1: each round also times the adapter at runtime.commit "interval".
  bench throughput --rounds "${ROUNDS:-4}" --commit-interval-ms "${COMMIT_INTERVAL_MS:-100}" \
    $([ "${WITH_INTERVAL:-0}" = 1 ] && echo --with-interval)
fi
# PASSTHROUGH_LATENCY=1: the same paced measurement through the bare pass-through
# committing adaptively, before and after the adapter's (the broker warms up over the
# run): the floor of a transactional loop here, the adapter's same-run baseline.
passthrough_latency() {
  [ "${PASSTHROUGH_LATENCY:-0}" = 1 ] || return 0
  bench passthrough-latency --commit adaptive --rate "${RATE:-1000}" --seconds "${LATENCY_SECONDS:-30}"
}
passthrough_latency
for interval in ${LATENCY_INTERVALS:-100}; do
  for commit in ${LATENCY_COMMITS:-default interval}; do
    bench latency --commit-interval-ms "$interval" --rate "${RATE:-1000}" --seconds "${LATENCY_SECONDS:-30}" \
      $([ "$commit" = default ] || echo "--commit $commit")
  done
done
passthrough_latency
