#!/usr/bin/env bash
# Smoke test for scripts/kafka-local: start a broker on a non-default port,
# produce/consume with Debian's kcat (librdkafka 2.0.2, the library the adapter
# links), then check transactions with kcat and with confluent-kafka
# (read_committed must hide an aborted record). Stops the broker on exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KL=$REPO/scripts/kafka-local
CACHE=${CRP_CACHE:-$REPO/.cache}
export KAFKA_PORT=${KAFKA_SMOKE_PORT:-19192}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export KAFKA_DATA=$REPO/.kafka/smoke-$KAFKA_PORT
BOOTSTRAP=127.0.0.1:$KAFKA_PORT
CONFLUENT_KAFKA_VERSION=${CONFLUENT_KAFKA_VERSION:-2.16.1}

fail() { echo "kafka_local_smoke: FAIL: $*" >&2; exit 1; }
step() { echo "kafka_local_smoke: $*" >&2; }
cleanup() {
  local rc=$?
  "$KL" stop || true
  ((rc == 0)) || echo "kafka_local_smoke: broker log kept in $KAFKA_DATA/server.log" >&2
}
trap cleanup EXIT

command -v kcat >/dev/null || fail "kcat not installed (scripts/setup-deps)"
"$KL" stop # a leftover broker from an interrupted run would keep old topics
rm -rf "$KAFKA_DATA"

step "start (port $KAFKA_PORT)"
t0=$SECONDS
out=$("$KL" start) || fail "kafka-local start failed"
[ "$out" = "bootstrap.servers=$BOOTSTRAP" ] || fail "start printed '$out'"
step "broker up in $((SECONDS - t0)) s"
[ "$("$KL" start)" = "bootstrap.servers=$BOOTSTRAP" ] || fail "second start not idempotent"
[ "$("$KL" status)" = "bootstrap.servers=$BOOTSTRAP" ] || fail "status while running"

step "kcat produce/consume"
"$KL" topics-create smoke 3 || fail "topics-create smoke"
"$KL" topics-create smoke-compacted 1 cleanup.policy=compact || fail "topics-create compacted"
printf 'k1:one\nk2:two\nk3:three\n' | kcat -b "$BOOTSTRAP" -P -t smoke -K: ||
  fail "kcat produce"
n=$(kcat -b "$BOOTSTRAP" -C -t smoke -e -q -o beginning | wc -l)
[ "$n" -eq 3 ] || fail "kcat consumed $n messages, expected 3"
# auto.create.topics.enable=false: producing to an unknown topic must fail.
if echo x | kcat -b "$BOOTSTRAP" -P -t no-such-topic -X message.timeout.ms=3000 2>/dev/null; then
  fail "produce to a missing topic succeeded (auto-create should be off)"
fi

step "kcat (librdkafka 2.0.2) transactional produce, read_committed consume"
"$KL" topics-create smoke-tx-kcat 1 || fail "topics-create smoke-tx-kcat"
printf 'a\nb\n' | kcat -b "$BOOTSTRAP" -P -t smoke-tx-kcat -X transactional.id=smoke-kcat ||
  fail "kcat transactional produce"
n=$(kcat -b "$BOOTSTRAP" -C -t smoke-tx-kcat -e -q -X isolation.level=read_committed | wc -l)
[ "$n" -eq 2 ] || fail "kcat read_committed saw $n messages, expected 2"

# venv NAME PIP_ARGS...: a cached venv with confluent-kafka (no network when warm).
venv() {
  local dir=$CACHE/$1; shift
  if ! "$dir/bin/python" -c "import confluent_kafka" 2>/dev/null; then
    python3 -m venv "$dir" >&2 || fail "python3 -m venv $dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "$@" >&2 || fail "pip install $*"
  fi
  echo "$dir/bin/python"
}
cat >"$KAFKA_DATA/tx_check.py" <<'EOF'
import sys, time, uuid
from confluent_kafka import Consumer, KafkaError, Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": topic})
p.init_transactions(30)
p.begin_transaction()
p.produce(topic, key=b"k", value=b"aborted")
p.flush(10)
p.abort_transaction(30)
p.begin_transaction()
p.produce(topic, key=b"k", value=b"committed")
p.commit_transaction(30)

def read(isolation):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"smoke-{uuid.uuid4()}",
                  "auto.offset.reset": "earliest", "enable.partition.eof": True,
                  "isolation.level": isolation, "session.timeout.ms": 6000})
    c.subscribe([topic])
    seen, deadline = [], time.time() + 30
    try:
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return seen
                raise SystemExit(f"consumer error: {m.error()}")
            seen.append(m.value().decode())
        raise SystemExit(f"{isolation}: no end of partition within 30 s, saw {seen}")
    finally:
        c.close()

committed = read("read_committed")
assert committed == ["committed"], f"read_committed saw {committed}"
# The aborted record really is in the log: read_uncommitted sees both.
everything = read("read_uncommitted")
assert everything == ["aborted", "committed"], f"read_uncommitted saw {everything}"
import confluent_kafka
print(f"transactions ok (librdkafka {confluent_kafka.libversion()[0]}): read_committed "
      f"{committed}, read_uncommitted {everything}", file=sys.stderr)
EOF
tx_check() { # tx_check PYTHON TOPIC
  "$KL" topics-create "$2" 1 || fail "topics-create $2"
  "$1" "$KAFKA_DATA/tx_check.py" "$BOOTSTRAP" "$2" || fail "transaction check on $2 (see above)"
}

step "confluent-kafka $CONFLUENT_KAFKA_VERSION wheel: aborted + committed transaction"
py=$(venv venv-kafka-smoke "confluent-kafka==$CONFLUENT_KAFKA_VERSION") || exit 1
tx_check "$py" smoke-tx
# The same check on Debian's librdkafka 2.0.2, which the adapter links: build
# confluent-kafka 2.0.2 from source against it (needs librdkafka-dev).
if pkg-config --exists rdkafka 2>/dev/null; then
  step "confluent-kafka built on system librdkafka $(pkg-config --modversion rdkafka)"
  py=$(venv venv-kafka-smoke-sysrdkafka --no-binary confluent-kafka \
    "confluent-kafka==$(pkg-config --modversion rdkafka)") || exit 1
  tx_check "$py" smoke-tx-sys
else
  step "librdkafka-dev not installed: skipping the system-librdkafka transaction check"
fi

step "stop"
"$KL" stop || fail "stop"
if "$KL" status >/dev/null; then fail "status says running after stop"; fi
trap - EXIT
rm -rf "$KAFKA_DATA"
echo "kafka_local_smoke: 1 passed, 0 failed"
