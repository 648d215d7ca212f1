#!/usr/bin/env python3
"""Restore and memory at scale (bench/restore_scale.sh runs this with the e2e
venv's confluent-kafka, against a broker it started).

1. `crp-adapter run` on an EMPTY changelog: time to the end of its (empty)
   restore and its RSS: the fixed costs.
2. `changelog_fill fill` writes N challenge states to a fresh changelog (the
   service's own encoding of states the engine built).
3. Baselines, same run: `kcat` and `changelog_fill read` (bare librdkafka,
   the restore consumer's settings) read that changelog to its end.
4. `crp-adapter run` on it (ROUNDS times, a fresh group each): time from
   process start to the "state restored" log line (and to /readyz = 200
   when the config has an admin server), the restore's own `ms`, and RSS.
Prints one JSON line per measurement and a summary line; exits 1 when the
restored state is not all N challenges (or RESTORE_BOUND_S is exceeded).
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
import e2e_harness  # noqa: E402  (write_config: the config every e2e test runs with)
PARTITIONS = 3


def emit(record):
    print(json.dumps(record), flush=True)


def rss_kib(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def cpu_s(pid):
    """User + system CPU seconds the process has used so far: a figure the
    other work on a shared 2-core machine does not inflate, as it does wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_topics(bootstrap, names, compact=()):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    specs = [NewTopic(n, PARTITIONS, 1, config={"cleanup.policy": "compact"} if n in compact else {})
             for n in names]
    for future in admin.create_topics(specs, operation_timeout=30).values():
        future.result(60)


def write_config(work, tag, bootstrap, changelog, admin_port, kafka=None):
    """The e2e tests' config (absolute paths, our broker) with its own changelog
    and group. Event clock: no deadline fires without input, so nothing but
    the restore runs while it is measured."""
    config = json.loads((REPO / "config" / "crp-adapter.json").read_text())
    topics = {**config["topics"], "changelog": changelog}
    sections = {"topics": topics}
    if admin_port and "admin" in config:
        sections["admin"] = {**config["admin"], "bind": f"127.0.0.1:{admin_port}"}
    else:
        admin_port = None
    path = e2e_harness.write_config(Path(work) / f"{tag}.json", bootstrap,
                                    {"clock": "event", "group_id": f"restore-{tag}",
                                     "transactional_id_prefix": f"restore-{tag}"}, kafka=kafka, **sections)
    return path, admin_port


def run_adapter(binary, config, log_path, want, admin_port, timeout, want_plans=0):
    """Starts the adapter, waits until `want` challenges are restored, measures,
    stops it. Returns the measurement."""
    started = time.monotonic()
    proc = subprocess.Popen([binary, "run", "--config", config, "--instance", "bench"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ready_at = {}

    def poll_ready():  # /readyz from the start, every 20 ms
        url = f"http://127.0.0.1:{admin_port}/readyz"
        while proc.poll() is None and time.monotonic() - started < timeout:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        ready_at["s"] = time.monotonic() - started
                        return
            except Exception:
                pass
            time.sleep(0.02)

    poller = threading.Thread(target=poll_ready, daemon=True) if admin_port else None
    if poller:
        poller.start()
    restored = {"challenges": 0, "records": 0, "pending_timers": 0, "plans": 0, "plan_checks": 0, "ms": 0}
    restored_at, lines = None, []
    deadline = started + timeout
    with open(log_path, "w") as log:
        # stderr is read line by line: the restore line's arrival is the measurement.
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            log.write(line)
            lines.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("message") == "state restored":
                for k in restored:
                    restored[k] += int(entry.get(k, 0))
                if restored["challenges"] >= want and restored["plans"] >= want_plans:
                    restored_at = time.monotonic() - started
                    cpu_at_restored = cpu_s(proc.pid)
                    break
        if restored_at is None:
            proc.kill()
            proc.wait()
            raise SystemExit(f"restore_scale: {restored['challenges']} of {want} challenges restored "
                             f"within {timeout} s; log {log_path}")
        rss_now = rss_kib(proc.pid)
        # RSS once the allocator has settled: the restored state stays, the
        # restore's fetch buffers go. Two readings 1 s apart, the later kept.
        time.sleep(1.0)
        rss_later = rss_kib(proc.pid)
        if poller:
            poller.join(max(0.0, deadline - time.monotonic()))
        proc.send_signal(signal.SIGTERM)
        # Keep draining stderr so the adapter never blocks on a full pipe.
        _, rest = proc.communicate(timeout=60)
        log.write(rest)
    return {"restored_challenges": restored["challenges"], "restored_records": restored["records"],
            "restored_plans": restored["plans"], "plan_checks": restored["plan_checks"],
            "pending_timers": restored["pending_timers"], "restore_ms": restored["ms"],
            "start_to_restored_s": round(restored_at, 3), "cpu_s_at_restored": round(cpu_at_restored, 2),
            "start_to_readyz_s": round(ready_at["s"], 3) if "s" in ready_at else None,
            "rss_mib_at_restored": round(rss_now["VmRSS"] / 1024, 1),
            "rss_mib": round(rss_later["VmRSS"] / 1024, 1), "peak_rss_mib": round(rss_later["VmHWM"] / 1024, 1),
            "exit": proc.returncode}


def timed(cmd, **kw):
    """Runs cmd; returns its stdout, wall seconds and CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    took = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"restore_scale: {cmd[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return done.stdout, took, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--challenges", type=int, required=True)
    ap.add_argument("--plans", type=int, default=0, help="watched plans (the drift watchdog's state) to fill too")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--fill", required=True, help="changelog_fill binary")
    ap.add_argument("--work", required=True)
    ap.add_argument("--admin-port", type=int, default=0)
    ap.add_argument("--kafka", action="append", default=[], metavar="KEY=VALUE",
                    help="a librdkafka property for the adapter under test (tuning experiments)")
    ap.add_argument("--bound-s", type=float, default=0, help="fail when a restore takes longer")
    a = ap.parse_args()
    n = a.challenges
    outputs = ["crp.commands", "crp.escalations", "crp.notifications.email", "crp.casenotes",
               "crp.partners.outbox", "crp.dlq"]
    schema = json.loads((REPO / "schemas" / "service-config.schema.json").read_text())
    config_topics = json.loads((REPO / "config" / "crp-adapter.json").read_text())["topics"]
    # Every output topic the service checks at start (defaults included).
    for key in schema["properties"]["topics"]["properties"]:
        if key != "changelog":
            name = config_topics.get(key, f"crp.{key}")
            if name not in outputs:
                outputs.append(name)
    create_topics(a.bootstrap, outputs + ["empty.changelog", "restore.changelog"],
                  compact=("empty.changelog", "restore.changelog"))
    timeout = max(120, (n + a.plans) / 2000)

    config, admin_port = write_config(a.work, "empty", a.bootstrap, "empty.changelog", a.admin_port)
    empty = run_adapter(a.adapter, config, Path(a.work) / "adapter-empty.log", 0, admin_port, timeout)
    emit({"measure": "adapter, empty changelog", **empty})

    out, took, _ = timed([a.fill, "fill", "--config", str(REPO / "config" / "crp-adapter.json"),
                       "--bootstrap", a.bootstrap, "--topic", "restore.changelog", "--challenges", str(n),
                       "--plans", str(a.plans)])
    fill = json.loads(out)
    emit({"measure": "fill", **fill})

    out, kcat_s, _ = timed(["kcat", "-C", "-b", a.bootstrap, "-t", "restore.changelog", "-o", "beginning", "-e",
                         "-q", "-X", "isolation.level=read_committed", "-f", "%o\n"])
    kcat_records = out.count("\n")
    emit({"measure": "baseline kcat", "records": kcat_records, "seconds": round(kcat_s, 2)})
    out, bare_wall, bare_cpu = timed([a.fill, "read", "--bootstrap", a.bootstrap, "--topic", "restore.changelog"])
    bare = json.loads(out)
    emit({"measure": "baseline librdkafka read", **bare, "process_seconds": round(bare_wall, 2),
          "process_cpu_s": round(bare_cpu, 2)})

    runs = []
    for r in range(a.rounds):
        config, admin_port = write_config(a.work, f"full-{r}", a.bootstrap, "restore.changelog", a.admin_port,
                                          dict(kv.split("=", 1) for kv in a.kafka))
        m = run_adapter(a.adapter, config, Path(a.work) / f"adapter-full-{r}.log", n, admin_port, timeout,
                        a.plans)
        emit({"measure": f"adapter restore, round {r + 1}", **m})
        runs.append(m)

    best = min(runs, key=lambda m: m["restore_ms"])
    grown = (best["rss_mib"] - empty["rss_mib"]) * 1024 * 1024
    per_challenge = grown / n if n else 0
    summary = {"measure": "summary", "challenges": n, "changelog_mib": round(fill["bytes"] / 2 ** 20, 1),
               "restore_s": [m["restore_ms"] / 1000 for m in runs],
               "start_to_restored_s": [m["start_to_restored_s"] for m in runs],
               "start_to_readyz_s": [m["start_to_readyz_s"] for m in runs],
               "empty_start_to_restored_s": empty["start_to_restored_s"],
               "baseline_librdkafka_read_s": bare["seconds"], "baseline_kcat_s": round(kcat_s, 2),
               "ratio_restore_to_bare_read": round(best["restore_ms"] / 1000 / bare["seconds"], 2),
               # CPU, not wall: the adapter's CPU to restored (its start-up
               # included) over the bare read's; robust to a busy machine.
               "restore_cpu_s": [m["cpu_s_at_restored"] for m in runs], "bare_read_cpu_s": round(bare_cpu, 2),
               "ratio_restore_cpu_to_bare_read_cpu": round(best["cpu_s_at_restored"] / bare_cpu, 2),
               "rss_mib": best["rss_mib"], "rss_mib_empty": empty["rss_mib"],
               "rss_bytes_per_challenge": round(per_challenge),
               "plans": a.plans, "rss_bytes_per_plan": round(grown / a.plans) if a.plans and not n else None}
    emit(summary)
    # Every challenge and every timer the fill wrote came back, not just some.
    ok = all(m["restored_challenges"] == n and m["pending_timers"] == fill["pending_timers"] and m["exit"] == 0
             and m["restored_plans"] == a.plans and m["plan_checks"] == fill["plan_checks"] for m in runs)
    if any(m["pending_timers"] != fill["pending_timers"] for m in runs):
        print(f"restore_scale: restored timers {[m['pending_timers'] for m in runs]}, "
              f"filled {fill['pending_timers']}", file=sys.stderr)
    ok = ok and bare["records"] == n + a.plans and kcat_records == n + a.plans
    if a.bound_s and any(m["restore_ms"] / 1000 > a.bound_s for m in runs):
        print(f"restore_scale: a restore took longer than {a.bound_s} s", file=sys.stderr)
        ok = False
    if not ok:
        print("restore_scale: FAIL (see the lines above)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
