#!/usr/bin/env bash
# Times `crp-adapter replay` on 100k generated events against a baseline in the
# same run: RapidJSON-free `wc -l` is useless, so the baseline is Python's
# json.loads + json.dumps of every input line (a parse-and-print pass).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_events.py "$n" >"$tmp/in.jsonl" 2>"$tmp/last"
t0=$(date +%s.%N)
python3 -c 'import json,sys
for l in open(sys.argv[1]): sys.stdout.write(json.dumps(json.loads(l))+"\n")' "$tmp/in.jsonl" >/dev/null
t1=$(date +%s.%N)
build/crp-adapter replay --config config/crp-adapter.json --input "$tmp/in.jsonl" \
  --until 2027-06-01T00:00:00Z >"$tmp/out.jsonl"
t2=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$n" "$(wc -l <"$tmp/out.jsonl")" <<'PY'
import sys
t0, t1, t2, n, out = map(float, sys.argv[1:])
base, rep = t1 - t0, t2 - t1
print(f"events={int(n)} outputs={int(out)} replay={rep:.2f}s ({n/rep:,.0f} events/s) "
      f"baseline_python_parse_print={base:.2f}s ratio_replay_to_baseline={rep/base:.2f}")
PY
