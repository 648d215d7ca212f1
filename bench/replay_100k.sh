#!/usr/bin/env bash
# Times `crp-adapter replay` on 100k generated events against two baselines in
# the same run, on the same input: a bare RapidJSON parse-and-serialise of every
# line (bench/json_baseline.cpp, the C++ baseline) and Python's json.loads +
# json.dumps. Wall and CPU (user+sys) seconds are both printed: on a loaded
# machine compare the ratios, not the absolute figures.
# Usage: bench/replay_100k.sh [events] (BUILD=build-dir, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
build=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_events.py "$n" >"$tmp/in.jsonl" 2>"$tmp/last"
baseline=$build/bench/json_baseline
if [[ ! -x $baseline ]]; then # built without CRP_BENCHMARKS: same flags as RelWithDebInfo
  baseline=$tmp/json_baseline
  c++ -std=c++20 -O2 -DNDEBUG bench/json_baseline.cpp -o "$baseline"
fi
python3 - "$n" "$tmp" "$baseline" "$build/crp-adapter" <<'PY'
import os, resource, subprocess, sys, time
n, tmp, baseline, adapter = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
inp = f"{tmp}/in.jsonl"
def run(name, cmd, out):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.monotonic()
    with open(out, "w") as o:
        subprocess.run(cmd, stdout=o, stderr=subprocess.DEVNULL, check=True)
    t1 = time.monotonic(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return t1 - t0, cpu
py = ["python3", "-c", "import json,sys\nfor l in open(sys.argv[1]): sys.stdout.write(json.dumps(json.loads(l))+'\\n')", inp]
b_wall, b_cpu = run("rapidjson", [baseline, inp], f"{tmp}/base.jsonl")
p_wall, p_cpu = run("python", py, "/dev/null")
r_wall, r_cpu = run("replay", [adapter, "replay", "--config", "config/crp-adapter.json", "--input", inp,
                               "--until", "2027-06-01T00:00:00Z"], f"{tmp}/out.jsonl")
outs = sum(1 for _ in open(f"{tmp}/out.jsonl"))
# The same records replay writes, parsed and serialised bare: the floor for any replay that
# has to write them (they are ~26x the input's bytes, so the input baseline alone is no floor).
o_wall, o_cpu = run("rapidjson_outputs", [baseline, f"{tmp}/out.jsonl"], "/dev/null")
out_mb = os.path.getsize(f"{tmp}/out.jsonl") / 1e6
print(f"events={n} outputs={outs} ({out_mb:,.0f} MB; input {os.path.getsize(inp) / 1e6:,.0f} MB)")
print(f"replay            wall={r_wall:.2f}s cpu={r_cpu:.2f}s ({n/r_wall:,.0f} events/s wall, {n/r_cpu:,.0f} events/s cpu)")
print(f"rapidjson_baseline wall={b_wall:.2f}s cpu={b_cpu:.2f}s ({n/b_wall:,.0f} events/s wall)")
print(f"rapidjson_outputs  wall={o_wall:.2f}s cpu={o_cpu:.2f}s (the {outs:,} output records)")
print(f"python_baseline    wall={p_wall:.2f}s cpu={p_cpu:.2f}s")
floor = b_cpu + o_cpu
print(f"ratio replay / (input + output rapidjson baselines): cpu {r_cpu/max(floor,1e-9):.2f}x "
      f"(wall {r_wall/max(b_wall + o_wall,1e-9):.2f}x)")
print(f"ratio replay/rapidjson: wall {r_wall/b_wall:.1f}x cpu {r_cpu/max(b_cpu,1e-9):.1f}x; "
      f"replay/python: wall {r_wall/p_wall:.2f}x cpu {r_cpu/max(p_cpu,1e-9):.2f}x")
PY
