#!/usr/bin/env python3
"""Kafka runtime benchmark, run by bench/kafka_throughput.sh against a broker
it started (confluent-kafka from the e2e venv).

throughput: preload N generated events (bench/gen_events.py) into crp.commands,
then per round time (a) bench/txn_passthrough and (b) `crp-adapter run`
(event clock) draining all of them, each with its own consumer group and
fresh output topics, from process start until the group's committed offsets
reach the end of every input partition. Same input, partitions, max_batch and
commit interval for both.

latency: `crp-adapter run` (wall clock), challenge.raised at --rate events/s
for --seconds; a read_committed consumer of the escalations topic takes the
receive time of each challenge.stage_started; latency = receive - send, both
on this machine's clock in this process.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from e2e_harness import write_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
INPUT = "crp.commands"
WARMUP = "bench.warmup"
# Every topic the service checks at start, from the schema (topics.facts and
# whatever comes next), so the adapter never refuses to start for a missing one.
TOPIC_KEYS = [k for k, v in json.loads((REPO / "schemas" / "service-config.schema.json").read_text())
              ["properties"]["topics"]["properties"].items() if v.get("type") == "string"]


def say(text):
    print(f"kafka_bench: {text}", file=sys.stderr, flush=True)


def create_topics(bootstrap, names, partitions, compact=()):
    names = list(names)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    specs = [NewTopic(t, partitions, 1, config={"cleanup.policy": "compact"} if t in compact else {})
             for t in names]
    for _, f in admin.create_topics(specs, operation_timeout=30).items():
        f.result(60)
    deadline = time.time() + 30  # until the broker's metadata lists them all
    while set(names) - set(admin.list_topics(timeout=10).topics) and time.time() < deadline:
        time.sleep(0.1)


def adapter_topics(bootstrap, suffix, partitions):
    topics = {k: f"crp.{k}.{suffix}" for k in TOPIC_KEYS}
    create_topics(bootstrap, topics.values(), partitions, compact={topics["changelog"]})
    return topics


def preload(bootstrap, n, work, topic=INPUT):
    path = Path(work) / "events.jsonl"
    with open(path, "w") as f:
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_events.py"), str(n)], stdout=f,
                       stderr=subprocess.DEVNULL, check=True)
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20,
                  "batch.num.messages": 10000})
    t0 = time.time()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            value = json.dumps(r["value"], separators=(",", ":")).encode()
            while True:
                try:
                    p.produce(topic, key=r["key"].encode(), value=value)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
    assert p.flush(120) == 0
    say(f"preloaded {n} events into {topic} in {time.time() - t0:.1f} s")


def input_ends(bootstrap, topic=INPUT):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe"})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    finally:
        c.close()


def cpu_s(pid):
    """User + system CPU seconds of a live process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_drain(bootstrap, cmd, group, ends, log_path, timeout=900, env=None, topic=INPUT, stop_timeout=60,
               details=False):
    """Seconds from process start until `group` committed every input end. With details, a
    dict that adds the time of the group's first commit (the rate after start-up, which a
    JVM pays more of, apart) and the process's CPU seconds (less inflated by a busy machine)."""
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    tps = [TopicPartition(topic, p) for p in ends]
    n = sum(ends.values())
    first = None
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"{cmd[0]} exited {proc.returncode}; see {log_path}")
                if time.monotonic() - t0 > timeout:
                    raise SystemExit(f"{cmd[0]} did not drain within {timeout} s")
                try:
                    got = {tp.partition: tp.offset for tp in probe.committed(tps, timeout=5)}
                except Exception:  # group coordinator not ready yet
                    got = {}
                now = time.monotonic() - t0
                done = sum(max(0, got.get(p, 0)) for p in ends)
                if first is None and done > 0:
                    first = (now, done)
                if all(got.get(p, -1) >= end for p, end in ends.items()):
                    cpu = cpu_s(proc.pid)
                    break
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            probe.close()
    if not details:
        return now
    after_first = (n - first[1]) / (now - first[0]) if now > first[0] else None
    return {"seconds": round(now, 2), "events_per_s": round(n / now), "first_commit_s": round(first[0], 2),
            "events_per_s_after_first_commit": round(after_first) if after_first else None,
            "cpu_s": round(cpu, 2), "events_per_cpu_s": round(n / cpu)}


def adapter_config(work, bootstrap, name, topics, group, runtime, input_topic=INPUT):
    cfg = write_config(Path(work) / f"{name}.json", bootstrap,
                       {**runtime, "group_id": group, "transactional_id_prefix": f"bench-{name}"})
    config = json.loads(Path(cfg).read_text())
    config["topics"] = topics
    config["inputs"] = [{"topic": input_topic, "connector": "canonical"}]
    Path(cfg).write_text(json.dumps(config, indent=2))
    return cfg


def passthrough_cmd(a, topic, out, group):
    return [a.passthrough, "--bootstrap", a.bootstrap, "--input", topic, "--output", out,
            "--group", group, "--transactional-id", group,
            "--max-batch", str(a.max_batch), "--commit-interval-ms", str(a.commit_interval_ms)]


def throughput(a, work):
    # Untimed warm-up of the broker's transaction paths (JIT, coordinator
    # loading), which the first timed run would otherwise pay alone.
    create_topics(a.bootstrap, ["bench.warmup.out"], a.partitions)
    ends = input_ends(a.bootstrap, WARMUP)
    secs = time_drain(a.bootstrap, passthrough_cmd(a, WARMUP, "bench.warmup.out", "bench-warmup"),
                      "bench-warmup", ends, Path(work) / "warmup.log", topic=WARMUP)
    say(f"warm-up: {sum(ends.values())} events through the pass-through in {secs:.1f} s (untimed)")
    ends = input_ends(a.bootstrap)
    n = sum(ends.values())
    results = []
    for rnd in range(1, a.rounds + 1):
        order = ["passthrough", "adapter"] + (["adapter_interval"] if a.with_interval else [])
        order = order if rnd % 2 else order[::-1]
        row = {"round": rnd, "order": "→".join(order)}
        for which in order:
            if which == "passthrough":
                out = f"bench.passthrough.out.r{rnd}"
                create_topics(a.bootstrap, [out], a.partitions)
                group = f"bench-passthrough-r{rnd}"
                cmd = passthrough_cmd(a, INPUT, out, group)
            else:  # the adapter at its default runtime.commit, or at "interval"
                tag = f"r{rnd}" if which == "adapter" else f"i{rnd}"
                topics = adapter_topics(a.bootstrap, tag, a.partitions)
                group = f"bench-adapter-{tag}"
                cfg = adapter_config(work, a.bootstrap, f"adapter-{tag}", topics, group,
                                     {"clock": "event", "commit_interval_ms": a.commit_interval_ms,
                                      "max_batch": a.max_batch,
                                      **({"commit": "interval"} if which == "adapter_interval" else {})})
                cmd = [a.adapter, "run", "--config", cfg, "--instance", f"bench-{tag}"]
            secs = time_drain(a.bootstrap, cmd, group, ends, Path(work) / f"{which}-r{rnd}.log")
            row[which] = {"seconds": round(secs, 2), "events_per_s": round(n / secs)}
            say(f"round {rnd} {which}: {n} events in {secs:.2f} s = {n / secs:,.0f} events/s")
        row["adapter_counts"] = produced_count(work, rnd)
        row["ratio"] = round(row["adapter"]["events_per_s"] / row["passthrough"]["events_per_s"], 3)
        say(f"round {rnd} ratio adapter/passthrough = {row['ratio']}")
        if a.with_interval:
            row["adapter_interval_counts"] = produced_count(work, rnd, "adapter_interval")
            row["ratio_interval"] = round(row["adapter_interval"]["events_per_s"]
                                          / row["passthrough"]["events_per_s"], 3)
            say(f"round {rnd} ratio adapter(commit=interval)/passthrough = {row['ratio_interval']}")
        results.append(row)
    ratios = [r["ratio"] for r in results]
    total = {w: round(n * len(results) / sum(r[w]["seconds"] for r in results))
             for w in ("passthrough", "adapter") + (("adapter_interval",) if a.with_interval else ())}
    say(f"all rounds: passthrough {total['passthrough']:,} events/s, adapter {total['adapter']:,} events/s, "
        f"ratio {total['adapter'] / total['passthrough']:.3f} (per round median {statistics.median(ratios):.3f})"
        + (f"; adapter at commit=interval {total['adapter_interval']:,} events/s, ratio "
           f"{total['adapter_interval'] / total['passthrough']:.3f}" if a.with_interval else ""))
    return {"events": n, "partitions": a.partitions, "max_batch": a.max_batch,
            "commit_interval_ms": a.commit_interval_ms, "rounds": results, "all_rounds_events_per_s": total,
            "ratio_all_rounds": round(total["adapter"] / total["passthrough"], 3),
            "ratio_median": round(statistics.median(ratios), 3)}


def produced_count(work, rnd, which="adapter"):
    """The adapter's own counts from its 'stopped' log line."""
    try:
        for line in (Path(work) / f"{which}-r{rnd}.log").read_text().splitlines():
            rec = json.loads(line)
            if rec.get("message") == "stopped":
                return {k: rec.get(k) for k in ("consumed", "produced", "commits", "aborts")}
    except (OSError, ValueError):
        pass
    return None


def pct(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(q * (len(sorted_ms) - 1))))]


def paced_latency(a, cmd, log_path, source, out, tag, warmup_seconds, start_timeout=120, stop_timeout=60,
                  note="", answer=("challenge.stage_started", "raised")):
    """Starts `cmd` (reading `source`, writing escalations to `out`), waits until it answers,
    sends challenge.raised at a.rate for warmup_seconds unmeasured and then a.seconds
    measured, and stops it (SIGTERM). Returns (ids, sent, received, send_secs): monotonic
    send and read_committed receive times per measured challenge id."""
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    sent, received = {}, {}
    stop = threading.Event()

    def consume():
        c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": f"bench-reader-{tag}",
                      "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                      "enable.auto.commit": False, "fetch.wait.max.ms": 5})
        c.subscribe([out])
        while not stop.is_set():
            m = c.poll(0.05)
            if m is None or m.error():
                continue
            now = time.monotonic()
            v = json.loads(m.value())
            if v.get("type") == answer[0] and v.get("reason") == answer[1]:
                received.setdefault(v["challenge_id"], now)
        c.close()

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    p = Producer({"bootstrap.servers": a.bootstrap, "enable.idempotence": True, "linger.ms": 0})
    protocols = ["bradford", "rotherham", "walsall", "calderdale"]
    stages = {"bradford": "stage1", "rotherham": "stage1", "walsall": "stage1", "calderdale": "informal"}

    def send(cid, i):
        proto = protocols[i % len(protocols)]
        ev = {"type": "challenge.raised", "event_id": f"{cid}-raised", "challenge_id": cid,
              "case_id": f"CASE-{cid}", "protocol": proto, "stage": stages[proto], "agency": "health",
              "categories": ["visits"],
              "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        sent[cid] = time.monotonic()
        p.produce(source, key=cid.encode(), value=json.dumps(ev, separators=(",", ":")).encode())
        p.poll(0)

    def paced(prefix, count):
        t0 = time.monotonic()
        for i in range(count):
            due = t0 + i / a.rate
            while (now := time.monotonic()) < due:
                time.sleep(min(0.001, due - now))
            send(f"{prefix}{i:07d}", i)
        return time.monotonic() - t0

    try:
        # Warm-up: until it owns its partitions and answers.
        warm = [f"W-{tag}-{i}" for i in range(a.partitions * 4)]
        for i, cid in enumerate(warm):
            send(cid, i)
        p.flush(10)
        deadline = time.monotonic() + start_timeout
        while not all(c in received for c in warm):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{tag} not answering; see {log_path}")
            time.sleep(0.1)
        # Unmeasured warm-up at the same rate: steady state, not the first seconds.
        paced(f"WR-{tag}-", a.rate * warmup_seconds)
        say(f"{tag} warm; sending {a.rate}/s for {a.seconds} s{note}")
        total = a.rate * a.seconds
        send_secs = paced(f"L-{tag}-", total)
        p.flush(10)
        ids = [f"L-{tag}-{i:07d}" for i in range(total)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(c in received for c in ids):
            time.sleep(0.1)
    finally:
        stop.set()
        reader.join(5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(stop_timeout)
        log.close()
    return ids, sent, received, send_secs


def latency(a, work):
    rnd = f"lat{a.commit_interval_ms}{a.commit or ''}"
    topics = adapter_topics(a.bootstrap, rnd, a.partitions)
    source = f"crp.commands.{rnd}"  # its own input: not the throughput backlog
    create_topics(a.bootstrap, [source], a.partitions)
    group = f"bench-adapter-{rnd}"
    cfg = adapter_config(work, a.bootstrap, f"adapter-{rnd}", topics, group,
                         {"clock": "wall", "commit_interval_ms": a.commit_interval_ms,
                          "max_batch": a.max_batch, **({"commit": a.commit} if a.commit else {})},
                         input_topic=source)
    log_path = Path(work) / f"adapter-{rnd}.log"
    ids, sent, received, send_secs = paced_latency(
        a, [a.adapter, "run", "--config", cfg, "--instance", f"bench-{rnd}"], log_path, source,
        topics["escalations"], rnd, a.warmup_seconds,
        note=f" (commit_interval_ms={a.commit_interval_ms}, commit={a.commit or 'default'})")
    total = len(ids)
    with open(Path(work) / f"latency-{rnd}.csv", "w") as f:  # send offset s, latency ms
        f.write("sent_s,latency_ms\n")
        t_first = sent[ids[0]]
        for c in ids:
            if c in received:
                f.write(f"{sent[c] - t_first:.4f},{(received[c] - sent[c]) * 1000:.2f}\n")
    lat = sorted((received[c] - sent[c]) * 1000 for c in ids if c in received)
    missing = sum(1 for c in ids if c not in received)
    counts = {}
    for line in log_path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("message") == "stopped":
            counts = {k: rec.get(k) for k in ("consumed", "commits", "aborts")}
    res = {"commit_interval_ms": a.commit_interval_ms, "commit": a.commit or "default", "rate": a.rate,
           "adapter_counts": counts, "seconds": a.seconds,
           "warmup_seconds": a.warmup_seconds,
           "sent": total, "achieved_rate": round(total / send_secs), "received": len(lat),
           "missing": missing, "p50_ms": round(pct(lat, 0.50), 1), "p90_ms": round(pct(lat, 0.90), 1),
           "p99_ms": round(pct(lat, 0.99), 1), "max_ms": round(lat[-1], 1),
           "mean_ms": round(statistics.fmean(lat), 1), "loadavg_1m_after": os.getloadavg()[0]}
    say(f"latency: {res}")
    return res


def passthrough_latency(a, work):
    """The same paced measurement through bench/txn_passthrough, which copies each
    challenge.raised to its output: the latency floor of a transactional
    consume-produce loop on this broker and machine, for the adapter's figure."""
    commit = a.commit or "adaptive"
    rnd = f"ptlat{a.commit_interval_ms}{commit}{int(time.time())}"  # each run its own topics
    source, out = f"crp.commands.{rnd}", f"bench.{rnd}.out"
    create_topics(a.bootstrap, [source, out], a.partitions)
    cmd = passthrough_cmd(a, source, out, f"bench-{rnd}") + ["--commit", commit]
    log_path = Path(work) / f"{rnd}.log"
    ids, sent, received, send_secs = paced_latency(
        a, cmd, log_path, source, out, rnd, a.warmup_seconds, answer=("challenge.raised", None),
        note=f" (pass-through, commit={commit}, commit_interval_ms={a.commit_interval_ms})")
    lat = sorted((received[c] - sent[c]) * 1000 for c in ids if c in received)
    commits = log_path.read_text().rsplit("commits=", 1)[-1].strip() if "commits=" in log_path.read_text() else "?"
    res = {"passthrough": True, "commit": commit, "commit_interval_ms": a.commit_interval_ms, "rate": a.rate,
           "seconds": a.seconds, "sent": len(ids), "achieved_rate": round(len(ids) / send_secs),
           "received": len(lat), "missing": len(ids) - len(lat), "commits": commits,
           "p50_ms": round(pct(lat, 0.50), 1), "p90_ms": round(pct(lat, 0.90), 1),
           "p99_ms": round(pct(lat, 0.99), 1), "max_ms": round(lat[-1], 1),
           "mean_ms": round(statistics.fmean(lat), 1), "loadavg_1m_after": os.getloadavg()[0]}
    say(f"latency: {res}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["preload", "throughput", "latency", "passthrough-latency"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--adapter", default=str(REPO / "build" / "crp-adapter"))
    ap.add_argument("--passthrough", default=str(REPO / "build" / "bench" / "txn_passthrough"))
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-batch", type=int, default=1000)
    ap.add_argument("--commit-interval-ms", type=int, default=100)
    ap.add_argument("--with-interval", action="store_true",
                    help="throughput: also time the adapter at runtime.commit \"interval\" each round")
    ap.add_argument("--commit", choices=["adaptive", "interval"], default=None,
                    help="runtime.commit of the adapter (default: not set, the adapter's default)")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--warmup-seconds", type=int, default=5)
    ap.add_argument("--work", default=None, help="directory for configs and logs (kept)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="crp-bench-")
    os.makedirs(work, exist_ok=True)
    if a.mode == "preload":
        create_topics(a.bootstrap, [INPUT, WARMUP], a.partitions)
        preload(a.bootstrap, a.events, work)
        preload(a.bootstrap, min(a.events, 20000), work, WARMUP)
        return
    run = {"throughput": throughput, "latency": latency, "passthrough-latency": passthrough_latency}[a.mode]
    res = run(a, work)
    print(json.dumps({a.mode: res}))


if __name__ == "__main__":
    main()
