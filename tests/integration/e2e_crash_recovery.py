#!/usr/bin/env python3
"""Exactly-once under crashes, on a real broker: many challenges (timers
firing throughout, event clock), the input produced at a steady rate while
`crp-adapter run` is killed with SIGKILL at random moments and restarted
with the same instance name; in addition every 7th transaction is aborted
by fault injection, so rewinding the input and rebuilding the state from
the changelog is exercised too. Afterwards a read_committed consumer must see
exactly what `crp-adapter replay` prints for the same input: 0 lost,
0 duplicated, same order per challenge. Every tenth challenge's child also
has a watched plan (the drift watchdog's state shares the changelog), whose
checks fire, find and are forgotten across the kills too.
"""
import itertools
import random
import sys
import threading
import time

import e2e_harness as h

NAME = "e2e_crash_recovery"
PARTITIONS = 3
START = 1798963200  # 2027-01-04T00:00:00Z, a Monday


def workload(events, seed):
    """About `events` canonical events over many challenges, ordered by time.
    A third get no answer (their stage timers escalate or notify), the rest
    are answered, rejected (escalating) or withdrawn."""
    rng = random.Random(seed)
    plans = {"calderdale": ("informal",), "iro-cp-lac": ("level1",), "rotherham": ("stage1",),
             "walsall": ("informal",), "bradford": ("stage1",)}
    out, n = [], 0
    span = 300 * 86400  # the event times cover ten months
    challenges = max(1, events * 100 // 205)  # 2.05 events per challenge on average
    for i in itertools.count():
        if n >= events:
            break
        protocol = rng.choice(sorted(plans))
        cid = f"CR-{i:06d}"
        t = START + i * span // challenges + rng.randrange(0, 8 * 3600)

        def event(kind, at, **extra):
            nonlocal n
            n += 1
            value = {"type": kind, "event_id": f"{cid}-{n}", "occurred_at": h.iso(at), "challenge_id": cid,
                     "case_id": f"CASE-{i:06d}", "protocol": protocol, **extra}
            out.append({"topic": h.INPUT, "key": cid, "headers": {}, "value": value})

        event("challenge.raised", t, stage=plans[protocol][0], agency="Health Visiting Service")
        if i % 10 == 0 and protocol != "iro-cp-lac":
            watched_plan(out, f"PL-{i:06d}", f"CASE-{i:06d}", protocol, t, rng)
            n += 6
        fate = rng.random()
        if fate < 0.35:
            continue  # timers only
        if fate < 0.65:
            event("challenge.response_received", t + 2 * 86400)
            event("challenge.response_accepted", t + 3 * 86400)
        elif fate < 0.85:
            event("challenge.response_rejected", t + 4 * 86400)
            if rng.random() < 0.5:
                event("challenge.resolved", t + 12 * 86400)
        else:
            event("challenge.withdrawn", t + 86400)
    out.sort(key=h.occurred_at)
    return out


def watched_plan(out, plan, case, protocol, t, rng):
    """A plan's activity over 40 days: some checks met, some breached (a
    visit and a core group that do not recur in time, a report that may come
    late), a review conference with its summary, then the plan ends and its
    state is tombstoned."""
    def activity(k, kind, at, **extra):
        value = {"type": kind, "event_id": f"{plan}-{k}", "occurred_at": h.iso(at), "plan_id": plan,
                 "case_id": case, "protocol": protocol, **extra}
        out.append({"topic": h.INPUT, "key": plan, "headers": {}, "value": value})
    day = 86400
    activity(1, "conference.held", t, conference_id=f"{plan}-ICPC", conference_kind="initial",
             conference_at=h.iso(t), plan_outcome="cp_plan")
    activity(2, "core_group.held", t + 5 * day)
    activity(3, "child.seen", t + 7 * day)
    activity(4, "conference.scheduled", t + 8 * day, conference_id=f"{plan}-RCPC", conference_kind="review",
             conference_at=h.iso(t + 30 * day))
    activity(5, "report.shared", t + rng.choice((20, 28)) * day, conference_id=f"{plan}-RCPC")
    activity(6, "plan.ended", t + 40 * day)


def feed(bootstrap, records, seconds):
    """Produces `records` in small chunks spread over about `seconds`."""
    chunk = max(1, len(records) // max(1, int(seconds * 10)))
    began, producer = time.time(), h.input_producer(bootstrap)
    for i in range(0, len(records), chunk):
        h.produce(bootstrap, records[i:i + chunk], producer)
        ahead = began + seconds * (i + chunk) / len(records) - time.time()
        if ahead > 0:
            time.sleep(ahead)


def main():
    p = h.arguments(__doc__)
    p.add_argument("--events", type=int, default=100000)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=447)
    p.add_argument("--abort-every", type=int, default=7,
                   help="also abort every Nth transaction (fault injection; 0: never)")
    args = p.parse_args()
    rng = random.Random(args.seed)
    records = workload(args.events, args.seed)
    clock, until = h.day_after(records, PARTITIONS)
    keys = {r["key"] for r in records}
    h.say(NAME, f"{len(records)} events, {len(keys)} challenges and plans, {args.kills} SIGKILLs, "
                f"abort every {args.abort_every or 'no'} transaction")

    with h.E2E(NAME, args, PARTITIONS) as t:
        bootstrap, check = t.bootstrap, t.check
        config = t.config({"clock": "event", "commit_interval_ms": 100, "max_batch": 1000})
        fault = {"CRP_TEST_ABORT_EVERY_NTH_TRANSACTION": str(args.abort_every)} if args.abort_every else {}
        adapter = t.adapter(config, instance="crash-1", env=fault)
        # The input arrives at a steady rate over the whole run, so most kills
        # land while the adapter is busy; others while it joins or restores.
        feeder = threading.Thread(target=feed, args=(bootstrap, records, args.kills * 5.5), daemon=True)
        started = time.time()
        feeder.start()
        supervisor_restarts = 0

        def supervise():
            """Restarts the adapter after a fatal Kafka error, as Kubernetes would: the
            service's contract is to exit non-zero and be restarted. Exactly-once must
            hold across such restarts too; anything else is a failure."""
            nonlocal supervisor_restarts
            if adapter.alive():
                return
            fatal = [l for l in adapter.log_lines() if l.get("message") == "fatal Kafka error"]
            if adapter.proc.returncode != 1 or not fatal or supervisor_restarts >= 3:
                raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
            supervisor_restarts += 1
            t.say(f"adapter exited after a fatal Kafka error ({fatal[-1].get('detail', '')[:200]}); restarting")
            adapter.start()

        owned_at_kill = 0  # kills of an instance that had restored its partitions' state
        landed = 0  # SIGKILLs that ended a running adapter
        for _ in range(args.kills):
            time.sleep(rng.uniform(1.0, 10.0))
            supervise()
            if any(l.get("message") == "state restored" for l in h.current_run(adapter.log_lines())):
                owned_at_kill += 1
            landed += adapter.kill()
            adapter.start()
        feeder.join()
        h.produce(bootstrap, clock)
        for attempt in range(4):
            try:
                h.wait_consumed(bootstrap, adapter, 600, NAME)
                break
            except SystemExit:
                if attempt == 3:
                    raise
                supervise()
        elapsed = time.time() - started
        result = t.exactly_once(config, records + clock, until, keys)
        t.summary = f" (lost 0, duplicated 0 of {result['expected']})"
        check(adapter.stop() == 0, "clean stop")
        lines = adapter.log_lines()
        # The error lines of a supervised fatal exit are expected; any other is not.
        # (h.log_errors already leaves out a fatal producer error the adapter recovered from.)
        errors = [e for e in h.log_errors(adapter)
                  if not (supervisor_restarts and (e.get("message") == "fatal Kafka error"
                                                   or e.get("facility") in ("TXNERR", "FATAL")))]
        check(not errors, f"no error log lines ({errors[:3]})")
        aborts = sum(1 for l in lines if l.get("message", "").startswith("transaction aborted"))
        restores = sum(1 for l in lines if l.get("message") == "state restored")
        t.say(f"{adapter.starts} starts ({args.kills} SIGKILLs, {owned_at_kill} of an instance with its "
              f"state restored; {supervisor_restarts} restarts after a fatal Kafka error), {restores} restores, "
              f"{aborts} aborts, {elapsed:.0f} s")
        # The faults happened: a test that could pass without them proves nothing.
        check(landed == args.kills and adapter.starts == args.kills + 1 + supervisor_restarts,
              f"{landed} of {args.kills} SIGKILLs ended a running adapter, each followed by a start "
              f"({adapter.starts} starts)")
        check(restores >= args.kills, f"restores ({restores}) >= SIGKILLs ({args.kills})")
        # The others land while it joins the group or restores (8 of 20 here when written).
        check(owned_at_kill >= max(1, args.kills // 6),
              f"SIGKILLs that hit an instance owning restored state: {owned_at_kill} "
              f"(at least {max(1, args.kills // 6)})")
        if args.abort_every:
            check(aborts > 0, f"injected aborts happened ({aborts})")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
