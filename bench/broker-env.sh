# Sourced by the bench scripts that run against a real broker (bench/kafka_throughput.sh,
# bench/restore_scale.sh, bench/streams_baseline.sh):
#   bench_broker DEFAULT_PORT WORK_PREFIX
# gives them the e2e tests' cached confluent-kafka venv ($VENV), a fresh single-node
# broker from scripts/kafka-local on KAFKA_PORT (default DEFAULT_PORT), stopped and
# removed on exit, its address in $bootstrap, and a work directory $WORK (kept).
# Expects $REPO and the current directory to be the repository.
bench_broker() {
  CACHE=${CRP_CACHE:-$REPO/.cache}
  VENV=$CACHE/venv-kafka-e2e # the e2e tests' cached confluent-kafka
  if ! "$VENV/bin/python" -c "import confluent_kafka" 2>/dev/null; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check "confluent-kafka==${CONFLUENT_KAFKA_VERSION:-2.16.1}" >&2
  fi
  export KAFKA_PORT=${KAFKA_PORT:-$1}
  export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
  export KAFKA_DATA=${KAFKA_DATA:-$REPO/.kafka/bench-$KAFKA_PORT}
  WORK=${WORK:-$(mktemp -d "/tmp/$2.XXXXXX")}
  mkdir -p "$WORK"
  scripts/kafka-local stop # a leftover of an interrupted run would keep old topics
  rm -rf "$KAFKA_DATA"
  trap 'scripts/kafka-local stop; rm -rf "$KAFKA_DATA"' EXIT
  bootstrap=$(scripts/kafka-local start | sed 's/^bootstrap.servers=//')
}
