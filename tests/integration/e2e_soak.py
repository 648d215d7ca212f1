#!/usr/bin/env python3
"""Soak (issue 7, item 6), scaled to fit CI: `crp-adapter run` on a real
broker takes a steady stream of events (default 2,000 events/s for 60 s; the
long variant is `--seconds 600`) whose event times run through ten months, so
stage timers fire all the time and closed challenges pass their retention and
are forgotten. Afterwards a read_committed consumer must see exactly what
`crp-adapter replay` prints (0 lost, 0 duplicated, same order per challenge),
and the adapter's resident memory must be flat once warm: state is bounded by
the open and recently closed challenges, not by everything ever seen.
"""
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e_harness as h

NAME = "e2e_soak"
PARTITIONS = 3
START = 1798963200  # 2027-01-04T00:00:00Z, a Monday
SPAN_DAYS = 300


def workload(events, seed):
    """Canonical events over many challenges, in time order. Every challenge
    ends: answered and accepted, rejected then resolved, withdrawn, or (the
    auto-escalating protocols) left to its timers until it is exhausted."""
    rng = random.Random(seed)
    first = {"calderdale": "informal", "iro-cp-lac": "level1", "rotherham": "stage1", "walsall": "informal",
             "bradford": "stage1"}
    out, n, i = [], 0, 0
    challenges = max(1, events * 100 // 240)
    while n < events:
        protocol = rng.choice(sorted(first))
        cid = f"SK-{i:07d}"
        t = START + i * SPAN_DAYS * 86400 // challenges + rng.randrange(0, 8 * 3600)
        i += 1

        def event(kind, at, **extra):
            nonlocal n
            n += 1
            value = {"type": kind, "event_id": f"{cid}-{n}", "occurred_at": h.iso(at), "challenge_id": cid,
                     "case_id": f"CASE-{cid}", "protocol": protocol, **extra}
            out.append({"topic": h.INPUT, "key": cid, "headers": {}, "value": value})

        event("challenge.raised", t, stage=first[protocol], agency="Health Visiting Service")
        fate = rng.random()
        if fate < 0.3 and protocol in ("calderdale", "iro-cp-lac"):
            continue  # its timers escalate it to exhaustion
        if fate < 0.6:
            event("challenge.response_received", t + 2 * 86400)
            event("challenge.response_accepted", t + 3 * 86400)
        elif fate < 0.85:
            event("challenge.response_rejected", t + 4 * 86400)
            event("challenge.resolved", t + 25 * 86400)
        else:
            event("challenge.withdrawn", t + 20 * 86400)
    out.sort(key=h.occurred_at)
    return out


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    p = h.arguments(__doc__, 18950)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--rate", type=int, default=2000, help="events per second")
    p.add_argument("--seed", type=int, default=2027)
    args = p.parse_args()
    from e2e_crash_recovery import feed  # the steady-rate producer

    records = workload(args.seconds * args.rate, args.seed)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    keys = {r["key"] for r in records}
    h.say(NAME, f"{len(records)} events, {len(keys)} challenges, {args.rate}/s for {args.seconds} s")

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-soak-"))
    broker = h.Broker(args.port).start()
    adapter = None
    try:
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100, "max_batch": 1000,
                                 "closed_retention_days": 30})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log", instance="soak-1").start()
        feeder = threading.Thread(target=feed, args=(broker.bootstrap, records, args.seconds), daemon=True)
        started = time.time()
        feeder.start()
        samples = []  # (seconds since start, RSS KiB)
        while feeder.is_alive():
            if not adapter.alive():
                raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
            samples.append((time.time() - started, rss_kib(adapter.proc.pid)))
            feeder.join(2.0)
        h.produce(broker.bootstrap, h.clock_records(PARTITIONS, final))
        h.wait_consumed(broker.bootstrap, adapter, 600, NAME)
        lag = time.time() - started - args.seconds
        samples.append((time.time() - started, rss_kib(adapter.proc.pid)))

        tombstones = sum(1 for r in h.read_committed(broker.bootstrap, [h.CHANGELOG]) if not r["value"])
        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(
            args.adapter, config, records + h.clock_records(PARTITIONS, final), until, work)]
        result = h.compare(live, replayed, keys)
        rc = adapter.stop()
        errors = h.log_errors(adapter)

        # Flat memory: after the first third (warm-up: the state fills up to
        # the retention window), the last third's peak is within 30% of the
        # middle third's.
        third = args.seconds / 3
        middle = [kib for t, kib in samples if third <= t < 2 * third]
        end = [kib for t, kib in samples if t >= 2 * third]
        growth = max(end) / max(middle) if middle and end else float("inf")
        h.say(NAME, f"RSS MiB at 1/3: {max(middle) / 1024:.0f}, at the end: {max(end) / 1024:.0f} "
                    f"(x{growth:.2f}); samples {[round(k / 1024) for _, k in samples[::5]]}")
        h.say(NAME, f"{h.counts(result)}; {tombstones} changelog tombstones; caught up {lag:.1f} s after the "
                    f"feed ended; exit {rc}; {len(errors)} error log lines")
        check = h.Checks(NAME)
        check(h.exactly_once(result), "exactly once: " + h.counts(result))
        check(tombstones > len(keys) // 4, f"closed challenges forgotten ({tombstones} tombstones)")
        check(growth <= 1.3, f"RSS flat once warm (x{growth:.2f}; state is bounded, the rest is allocator and client buffers)")
        check(lag < 60, f"kept up with {args.rate} events/s (caught up {lag:.1f} s after the feed ended)")
        check(rc == 0 and not errors, f"clean stop, no error log lines ({errors[:2]})")
        if check.failures:
            h.say(NAME, f"FAIL: {h.json.dumps(h.first_difference(live, replayed, keys))[:2000]}; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
