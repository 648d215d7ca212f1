#!/usr/bin/env bash
# Runs one end-to-end test (tests/integration/e2e_*.py) with confluent-kafka
# from a cached venv, as tests/integration/kafka_local_smoke.sh does.
#   tests/integration/e2e_run.sh TEST.py [--adapter BINARY] [--port N] [--keep]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${CRP_CACHE:-$REPO/.cache}
CONFLUENT_KAFKA_VERSION=${CONFLUENT_KAFKA_VERSION:-2.16.1}
# The independent Standard Webhooks verifier of the webhook tests.
STANDARDWEBHOOKS_VERSION=${STANDARDWEBHOOKS_VERSION:-1.1.0}
# The independent Prometheus text-format parser of the admin API test.
PROMETHEUS_CLIENT_VERSION=${PROMETHEUS_CLIENT_VERSION:-0.21.1}
# The independent JWT verifier of the GOV.UK Notify test's receiver.
PYJWT_VERSION=${PYJWT_VERSION:-2.10.1}
VENV=$CACHE/venv-kafka-e2e
if ! "$VENV/bin/python" -c "import confluent_kafka, standardwebhooks, prometheus_client, jwt" 2>/dev/null; then
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "confluent-kafka==$CONFLUENT_KAFKA_VERSION" \
    "standardwebhooks==$STANDARDWEBHOOKS_VERSION" "prometheus-client==$PROMETHEUS_CLIENT_VERSION" "PyJWT==$PYJWT_VERSION" >&2
fi
test=$1; shift
# Under a sanitizer build (CRP_SANITIZER_REPORTS set), a report from any
# process the test starts fails it: tests/sanitizers/run_checked.sh.
exec "$REPO/tests/sanitizers/run_checked.sh" "$VENV/bin/python" "$test" "$@"
