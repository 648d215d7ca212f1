#!/usr/bin/env bash
# Peer baseline (docs/benchmarks.md, "Peer baseline: Kafka Streams"): the
# adapter against a minimal Kafka Streams 4.1.2 topology
# (bench/streams-baseline/StreamsBaseline.java, jars from Maven Central) on
# one broker of its own (scripts/kafka-local, port 29192, data
# .kafka/bench-29192), same input, one run: throughput, restore time of the
# state each built, p99 event -> committed escalation at RATE/s; ratios
# adapter / Streams. Details: bench/streams_baseline.py. By hand only.
#   bench/streams_baseline.sh    # env: EVENTS (100000) ROUNDS (2) PARTITIONS (3)
#                                #      RATE (1000) LATENCY_SECONDS (30)
#                                #      ADAPTER (build/crp-adapter) WORK (kept)
# Prints one JSON line per measurement on stdout; logs and configs stay in WORK.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
ADAPTER=${ADAPTER:-$REPO/build/crp-adapter}
[ -x "$ADAPTER" ] || { echo "streams_baseline: build first ($ADAPTER)" >&2; exit 1; }
classpath=$(bench/streams-baseline/build.sh)
# shellcheck source=bench/broker-env.sh
source bench/broker-env.sh
bench_broker 29192 crp-streams-bench
echo "streams_baseline: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work $WORK" >&2
"$VENV/bin/python" bench/streams_baseline.py --bootstrap "$bootstrap" --adapter "$ADAPTER" \
  --classpath "$classpath" --events "${EVENTS:-100000}" --rounds "${ROUNDS:-2}" \
  --partitions "${PARTITIONS:-3}" --rate "${RATE:-1000}" --seconds "${LATENCY_SECONDS:-30}" --work "$WORK"
echo "streams_baseline: load after $(cut -d' ' -f1-3 /proc/loadavg)" >&2
