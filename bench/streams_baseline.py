#!/usr/bin/env python3
"""Peer baseline: `crp-adapter run` against a minimal Kafka Streams topology
(bench/streams-baseline/StreamsBaseline.java), on one broker, same input, one
run (bench/streams_baseline.sh starts the broker and builds the Java side).

1. throughput: N events from bench/gen_events.py preloaded into crp.commands;
   per round the adapter (event clock) and the Streams app each drain all of
   them with a fresh group and fresh outputs, timed from process start until
   the group's committed offsets reach every input end (as kafka_bench's
   time_drain), with the rate after the group's first commit (start-up
   apart) and the process's CPU seconds. The Streams app writes the adapter's fan-out (output records
   per event, from the adapter's "stopped" line: round 1 runs the adapter
   first; an untimed warm-up of both drains bench.warmup first).
2. restore: after each round, each contender starts again on the state it
   built (the adapter: same config, its changelog; Streams: same
   application.id, local state directory deleted, as on a new host) and is
   timed from process start to restored (the adapter's "state restored" for
   all partitions; Streams' RUNNING), with each one's own restore time.
3. latency at --rate events/s (wall clock both): challenge.raised on a fresh
   input topic, 5 s warm-up, then --seconds measured; a read_committed reader
   of the contender's output takes each challenge.stage_started "raised".
Prints one JSON line per measurement and a summary with ratios adapter/Streams.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kafka_bench import (INPUT, WARMUP, adapter_config, adapter_topics, create_topics,  # noqa: E402
                         input_ends, paced_latency, pct, preload, time_drain)


def say(text):
    print(f"streams_baseline: {text}", file=sys.stderr, flush=True)


def emit(record):
    print(json.dumps(record), flush=True)


def log_line(path, message):
    """The last JSON log line with this message (the adapter's or the Streams app's)."""
    found = None
    for line in Path(path).read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("message") == message:
            found = rec
    return found


def drain(a, cmd, group, ends, log_path, timeout=900, topic=INPUT):
    """kafka_bench.time_drain with its details: first commit and CPU seconds too."""
    return time_drain(a.bootstrap, cmd, group, ends, log_path, timeout, topic=topic, stop_timeout=90, details=True)


def mean_output_bytes(a, work, lines=20000):
    """Mean size (value + header keys and values) of the adapter's output
    records on the bench's input (`crp-adapter replay --headers` of its first
    `lines` events, up to their last occurred_at), so the Streams app, which
    writes no headers, pads its values to write about as many bytes."""
    src, head = Path(work) / "events.jsonl", Path(work) / "events-head.jsonl"
    with open(src) as f, open(head, "w") as out:
        last = ""
        for i, line in enumerate(f):
            if i == lines:
                break
            out.write(line)
            last = max(last, json.loads(line)["value"]["occurred_at"])
    done = subprocess.run([a.adapter, "replay", "--config", str(Path(__file__).resolve().parents[1] / "config"
                                                                    / "crp-adapter.json"),
                           "--input", str(head), "--until", last, "--headers"],
                          capture_output=True, text=True, check=True)
    sizes = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            sizes.append(len(json.dumps(rec["value"], separators=(",", ":")).encode())
                         + sum(len(k) + len(v) for k, v in rec.get("headers", {}).items()))
    return round(statistics.fmean(sizes)), len(sizes)


def streams_cmd(a, app_id, source, out, fan_out, work):
    tmp = Path(work) / "java-tmp"  # rocksdbjni unpacks its native library here (/tmp may be noexec)
    tmp.mkdir(exist_ok=True)
    return ["java", "-Xmx512m", f"-Djava.io.tmpdir={tmp}", "-Dorg.slf4j.simpleLogger.logFile=System.out",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", a.classpath, "StreamsBaseline",
            "--bootstrap", a.bootstrap, "--application-id", app_id, "--input", source, "--output", out,
            "--fan-out", f"{fan_out:.6f}", "--state-dir", str(Path(work) / "state" / app_id),
            "--value-bytes", str(a.value_bytes)]


def adapter_run(a, work, tag, source, clock):
    topics = adapter_topics(a.bootstrap, tag, a.partitions)
    group = f"bench-adapter-{tag}"
    cfg = adapter_config(work, a.bootstrap, f"adapter-{tag}", topics, group,
                         {"clock": clock, "commit_interval_ms": 100, "max_batch": 1000}, input_topic=source)
    return [a.adapter, "run", "--config", cfg, "--instance", f"bench-{tag}"], group, topics


def fan_out_of(log_path):
    rec = log_line(log_path, "stopped")
    if not rec or not rec.get("consumed"):
        raise SystemExit(f"no 'stopped' counts in {log_path}")
    return rec["produced"] / rec["consumed"], rec


def time_to_line(cmd, log_path, done, timeout=300):
    """Starts cmd, reads its stderr JSON lines until done(lines) returns a
    result; seconds from process start to then, the result; stops it."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines, result = [], None
    watchdog = threading.Timer(timeout, proc.kill)  # a silent hang ends too
    watchdog.start()
    with open(log_path, "w") as log:
        try:
            for line in proc.stderr:
                log.write(line)
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict):
                    lines.append(rec)
                    result = done(lines)
                    if result is not None:
                        break
            took = time.monotonic() - t0
        finally:
            watchdog.cancel()
            proc.send_signal(signal.SIGTERM)
            _, rest = proc.communicate(timeout=90)
            log.write(rest or "")
    if result is None:
        raise SystemExit(f"{cmd[0]}: not restored; see {log_path}")
    return took, result


def adapter_restored(lines):
    got = [r for r in lines if r.get("message") == "state restored"]
    parts = {p for r in got for p in str(r.get("partitions", "")).split(",") if p}
    if len(parts) >= 3:
        return {"challenges": sum(r["challenges"] for r in got), "records": sum(r["records"] for r in got),
                "pending_timers": sum(r["pending_timers"] for r in got), "restore_ms": max(r["ms"] for r in got)}
    return None


def streams_running(lines):
    r = next((r for r in lines if r.get("message") == "running"), None)
    return None if r is None else {"records": r["restored_records"], "restore_ms": r["restore_ms"],
                                   "since_start_ms": r["since_start_ms"]}


def throughput_and_restore(a, work):
    ends = input_ends(a.bootstrap, WARMUP)
    cmd, group, _ = adapter_run(a, work, "warm", WARMUP, "event")
    secs = drain(a, cmd, group, ends, Path(work) / "adapter-warm.log", topic=WARMUP)["seconds"]
    warm_fan_out, _ = fan_out_of(Path(work) / "adapter-warm.log")
    create_topics(a.bootstrap, ["streams.out.warm"], a.partitions)
    s_secs = drain(a, streams_cmd(a, "streams-warm", WARMUP, "streams.out.warm", warm_fan_out, work),
                   "streams-warm", ends, Path(work) / "streams-warm.log", topic=WARMUP)["seconds"]
    say(f"warm-up (untimed): {sum(ends.values())} events, adapter {secs:.1f} s, Streams {s_secs:.1f} s")

    ends = input_ends(a.bootstrap)
    n = sum(ends.values())
    fan_out, rounds = None, []
    for rnd in range(1, a.rounds + 1):
        order = ["adapter", "streams"] if rnd % 2 else ["streams", "adapter"]
        row = {"round": rnd, "order": "→".join(order)}
        for who in order:
            log = Path(work) / f"{who}-r{rnd}.log"
            if who == "adapter":
                cmd, group, topics = adapter_run(a, work, f"r{rnd}", INPUT, "event")
                restart = cmd[:-1] + [f"bench-r{rnd}-restore"]
            else:
                out = f"streams.out.r{rnd}"
                create_topics(a.bootstrap, [out], a.partitions)
                group = f"streams-r{rnd}"
                cmd = streams_cmd(a, group, INPUT, out, fan_out, work)
            m = drain(a, cmd, group, ends, log)
            counts = log_line(log, "stopped")
            if who == "adapter" and fan_out is None:
                fan_out, _ = fan_out_of(log)
                say(f"adapter fan-out: {fan_out:.4f} output records per event (changelog not counted)")
            row[who] = {**m, "counts": counts}
            say(f"round {rnd} {who}: {n} events: {m}; {counts}")
            # Restore: the same contender again on the state it just built.
            if who == "adapter":
                took, res = time_to_line(restart, Path(work) / f"adapter-r{rnd}-restore.log", adapter_restored)
            else:
                shutil.rmtree(Path(work) / "state" / group, ignore_errors=True)  # a new host: no local state
                took, res = time_to_line(cmd, Path(work) / f"streams-r{rnd}-restore.log", streams_running)
            row[f"{who}_restore"] = {"start_to_restored_s": round(took, 3), **res}
            say(f"round {rnd} {who} restore: {row[f'{who}_restore']}")
        row["ratio_throughput"] = round(row["adapter"]["events_per_s"] / row["streams"]["events_per_s"], 3)
        row["ratio_throughput_after_first_commit"] = round(
            row["adapter"]["events_per_s_after_first_commit"] / row["streams"]["events_per_s_after_first_commit"], 3)
        row["ratio_events_per_cpu_s"] = round(row["adapter"]["events_per_cpu_s"]
                                              / row["streams"]["events_per_cpu_s"], 3)
        row["ratio_restore"] = round(row["adapter_restore"]["start_to_restored_s"]
                                     / row["streams_restore"]["start_to_restored_s"], 3)
        row["ratio_restore_own"] = round(row["adapter_restore"]["restore_ms"]
                                         / max(1, row["streams_restore"]["restore_ms"]), 3)
        emit({"throughput_round": row})
        rounds.append(row)
    return n, fan_out, rounds


def latency(a, work, who, fan_out=None):
    """p50/p90/p99/max event -> committed challenge.stage_started, wall clock."""
    source = f"lat.in.{who}"
    create_topics(a.bootstrap, [source], a.partitions)
    if who == "adapter":
        cmd, _, topics = adapter_run(a, work, "lat", source, "wall")
        out = topics["escalations"]
    else:
        out = "streams.out.lat"
        create_topics(a.bootstrap, [out], a.partitions)
        cmd = streams_cmd(a, "streams-lat", source, out, fan_out, work)
    log_path = Path(work) / f"{who}-lat.log"
    ids, sent, received, send_secs = paced_latency(a, cmd, log_path, source, out, who, 5, start_timeout=180,
                                                   stop_timeout=90)
    total = len(ids)
    lat = sorted((received[c] - sent[c]) * 1000 for c in ids if c in received)
    counts = log_line(log_path, "stopped") or {}
    res = {"who": who, "rate": a.rate, "seconds": a.seconds, "sent": total,
           "achieved_rate": round(total / send_secs), "received": len(lat), "missing": total - len(lat),
           "p50_ms": round(pct(lat, 0.50), 1), "p90_ms": round(pct(lat, 0.90), 1),
           "p99_ms": round(pct(lat, 0.99), 1), "max_ms": round(lat[-1], 1),
           "mean_ms": round(statistics.fmean(lat), 1), "counts": counts,
           "fan_out": round(counts["produced"] / counts["consumed"], 4) if counts.get("consumed") else None,
           "loadavg_1m_after": os.getloadavg()[0]}
    emit({"latency": res})
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--classpath", required=True, help="bench/streams-baseline/build.sh's output")
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    work = a.work
    os.makedirs(work, exist_ok=True)
    load = [os.getloadavg()[0]]
    create_topics(a.bootstrap, [INPUT, WARMUP], a.partitions)
    preload(a.bootstrap, a.events, work)
    preload(a.bootstrap, min(a.events, 20000), work, WARMUP)
    a.value_bytes, outputs = mean_output_bytes(a, work)
    say(f"adapter output values: {a.value_bytes} bytes on average ({outputs} records of a replay); "
        f"the Streams app pads its own to that")
    n, fan_out, rounds = throughput_and_restore(a, work) if a.rounds else (0, None, [])
    load.append(os.getloadavg()[0])
    lat_adapter = latency(a, work, "adapter")
    lat_streams = latency(a, work, "streams", lat_adapter["fan_out"])
    load.append(os.getloadavg()[0])
    summary = {"events": n, "rounds": len(rounds), "fan_out_throughput": fan_out, "value_bytes": a.value_bytes,
               "fan_out_latency": lat_adapter["fan_out"], "loadavg_1m_samples": load,
               "p99_ms": {"adapter": lat_adapter["p99_ms"], "streams": lat_streams["p99_ms"]},
               "ratio_p99": round(lat_adapter["p99_ms"] / lat_streams["p99_ms"], 3)}
    if rounds:
        def total(who):
            return round(n * len(rounds) / sum(r[who]["seconds"] for r in rounds))
        summary.update({
            "events_per_s": {"adapter": total("adapter"), "streams": total("streams")},
            "ratio_throughput": round(total("adapter") / total("streams"), 3),
            "ratio_throughput_per_round": [r["ratio_throughput"] for r in rounds],
            "ratio_throughput_after_first_commit_per_round": [r["ratio_throughput_after_first_commit"]
                                                              for r in rounds],
            "ratio_events_per_cpu_s_per_round": [r["ratio_events_per_cpu_s"] for r in rounds],
            "ratio_restore_own_per_round": [r["ratio_restore_own"] for r in rounds],
            "restore_start_to_restored_s": {w: [r[f"{w}_restore"]["start_to_restored_s"] for r in rounds]
                                            for w in ("adapter", "streams")},
            "restore_own_ms": {w: [r[f"{w}_restore"]["restore_ms"] for r in rounds] for w in ("adapter", "streams")},
            "ratio_restore": round(statistics.median(r["ratio_restore"] for r in rounds), 3)})
    emit({"summary": summary})
    say(f"summary: {summary}")


if __name__ == "__main__":
    main()
