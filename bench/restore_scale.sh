#!/usr/bin/env bash
# Restore and memory at scale (docs/benchmarks.md, "Restore and memory"): on a
# broker of its own (scripts/kafka-local, port 18650, data .kafka/bench-18650),
# fill a changelog with N challenge states and time `crp-adapter run`
# rebuilding them, against a bare read of the same changelog in the same run;
# RSS with the N challenges open. Details: bench/restore_scale.py.
#   bench/restore_scale.sh                     # 100,000 challenges, 1 round (CI)
#   bench/restore_scale.sh --long              # 1,000,000 challenges, 3 rounds
#   options: --challenges N --plans N --rounds R --adapter BIN --fill BIN --bound-s S
#            --kafka KEY=VALUE (a librdkafka property for the adapter; repeatable)
#   env: KAFKA_PORT (18650), WORK (kept: configs and adapter logs)
# Prints one JSON line per measurement on stdout; exits 1 when the restored
# state is incomplete (or a restore exceeds --bound-s).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
challenges=100000 plans=0 rounds=1 bound=0 extra=()
adapter=$REPO/build/crp-adapter fill=$REPO/build/bench/changelog_fill
while (($#)); do
  case $1 in
    --long) challenges=1000000 rounds=3 ;;
    --challenges) challenges=$2; shift ;;
    --plans) plans=$2; shift ;;  # watched plans (drift watchdog state), e.g. --challenges 0 --plans 1000000
    --rounds) rounds=$2; shift ;;
    --adapter) adapter=$2; shift ;;
    --fill) fill=$2; shift ;;
    --bound-s) bound=$2; shift ;;
    --kafka) extra+=(--kafka "$2"); shift ;;
    *) echo "restore_scale: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$adapter" ] && [ -x "$fill" ] || { echo "restore_scale: build first ($adapter, $fill)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "restore_scale: kcat not installed (scripts/setup-deps)" >&2; exit 1; }

# shellcheck source=bench/broker-env.sh
source bench/broker-env.sh
bench_broker 18650 crp-restore-bench
echo "restore_scale: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $challenges challenges, $plans plans, work $WORK" >&2
"$VENV/bin/python" bench/restore_scale.py --bootstrap "$bootstrap" --challenges "$challenges" --plans "$plans" \
  --rounds "$rounds" --adapter "$adapter" --fill "$fill" --work "$WORK" \
  --admin-port $((KAFKA_PORT + 5)) --bound-s "$bound" "${extra[@]}"
