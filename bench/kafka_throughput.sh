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
#      once per commit interval in LATENCY_INTERVALS.
#   bench/kafka_throughput.sh            # env: EVENTS ROUNDS PARTITIONS MAX_BATCH
#                                        #      COMMIT_INTERVAL_MS RATE LATENCY_SECONDS
#                                        #      (ROUNDS=0: latency only)
#                                        #      LATENCY_INTERVALS ("100 50") WORK BUILD
# Prints one JSON line per measurement on stdout; logs and configs stay in WORK.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
CACHE=${CRP_CACHE:-$REPO/.cache}
VENV=$CACHE/venv-kafka-e2e # the e2e tests' cached confluent-kafka
if ! "$VENV/bin/python" -c "import confluent_kafka" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "confluent-kafka==${CONFLUENT_KAFKA_VERSION:-2.16.1}" >&2
fi
export KAFKA_PORT=${KAFKA_PORT:-29092}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export KAFKA_DATA=${KAFKA_DATA:-$REPO/.kafka/bench-$KAFKA_PORT}
WORK=${WORK:-$(mktemp -d /tmp/crp-kafka-bench.XXXXXX)}
mkdir -p "$WORK"
BUILD=${BUILD:-build} # the build directory with crp-adapter and bench/txn_passthrough
[ -x "$BUILD/crp-adapter" ] && [ -x "$BUILD/bench/txn_passthrough" ] ||
  { echo "build first: cmake --build $BUILD" >&2; exit 1; }

scripts/kafka-local stop # a leftover of an interrupted run would keep old topics
rm -rf "$KAFKA_DATA"
trap 'scripts/kafka-local stop; rm -rf "$KAFKA_DATA"' EXIT
bootstrap=$(scripts/kafka-local start | sed 's/^bootstrap.servers=//')

bench() { "$VENV/bin/python" bench/kafka_bench.py "$@" --bootstrap "$bootstrap" \
  --adapter "$BUILD/crp-adapter" --passthrough "$BUILD/bench/txn_passthrough" \
  --partitions "${PARTITIONS:-3}" --max-batch "${MAX_BATCH:-1000}" --work "$WORK"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work $WORK" >&2
if [ "${ROUNDS:-4}" -gt 0 ]; then # ROUNDS=0: latency only
  bench preload --events "${EVENTS:-200000}"
  bench throughput --rounds "${ROUNDS:-4}" --commit-interval-ms "${COMMIT_INTERVAL_MS:-100}"
fi
for interval in ${LATENCY_INTERVALS:-100 50}; do
  bench latency --commit-interval-ms "$interval" --rate "${RATE:-1000}" --seconds "${LATENCY_SECONDS:-30}"
done
