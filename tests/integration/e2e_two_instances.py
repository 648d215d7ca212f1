#!/usr/bin/env python3
"""Two instances in one consumer group, on a real broker (event clock):
  1. both share the input partitions while either is SIGKILLed and restarted;
  2. one is SIGKILLed for good: the other takes over its partitions (after
     the broker aborts the dead one's open transaction) and fires its pending
     timers exactly once;
  3. a third process starts under the survivor's instance name: the survivor
     is fenced and exits non-zero saying so; the newcomer carries on.
Finally a read_committed consumer must see exactly what `replay` prints.
"""
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e_crash_recovery as crash
import e2e_harness as h
from e2e_admin import Admin, metrics, total

NAME = "e2e_two_instances"
PARTITIONS = 3


def wait_log(adapter, message, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(l.get("message") == message for l in adapter.log_lines()):
            return True
        time.sleep(0.2)
    return False


def holding(adapter):
    """(owned partitions, transaction open) from the /metrics of `adapter`'s latest start."""
    m = metrics(Admin(h.admin_port(adapter, name=NAME)))
    return total(m, "crp_owned_partitions"), total(m, "crp_transaction_open")


def main():
    p = h.arguments(__doc__, 19792)
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--kills", type=int, default=4)
    p.add_argument("--seed", type=int, default=345)
    args = p.parse_args()
    rng = random.Random(args.seed)
    records = crash.workload(args.events, args.seed)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    clock = h.clock_records(PARTITIONS, final)
    keys = {r["key"] for r in records}
    h.say(NAME, f"{len(records)} events, {len(keys)} challenges")

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-two-"))
    broker = h.Broker(args.port).start()
    adapters = []
    check = h.Checks(NAME)
    failures = check.failures

    try:
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap, {"clock": "event", "commit_interval_ms": 100})
        one = h.Adapter(args.adapter, config, work / "one.log", instance="one").start()
        two = h.Adapter(args.adapter, config, work / "two.log", instance="two").start()
        adapters += [one, two]
        check(wait_log(one, "partitions assigned") and wait_log(two, "partitions assigned"), "both joined the group")

        # 1. Shared work, random kills of either, each restarted at once.
        half = len(records) // 2
        feeder = threading.Thread(target=crash.feed, args=(broker.bootstrap, records[:half], args.kills * 5))
        feeder.start()
        for _ in range(args.kills):
            time.sleep(rng.uniform(1.0, 8.0))
            victim = rng.choice([one, two])
            victim.kill()
            victim.start()
        feeder.join()
        h.wait_consumed(broker.bootstrap, None, 300, NAME)
        shared = [a for a in (one, two) if any(l.get("message") == "state restored" for l in a.log_lines())]
        check(len(shared) == 2, "both instances owned partitions")

        # 2. `one` dies for good while busy, its transaction open: `two` takes
        # over its partitions once the broker has aborted that transaction.
        feeder = threading.Thread(target=crash.feed, args=(broker.bootstrap, records[half:], 10))
        feeder.start()
        time.sleep(rng.uniform(1.0, 3.0))
        # Killed holding partitions with a transaction open, as scraped just before.
        owned, open_txn = h.eventually(lambda: holding(one), lambda held: held[0] > 0 and held[1] == 1, 30,
                                       one, every=0.05, name=NAME)
        scraped = time.monotonic()
        one.kill()
        check(owned > 0 and open_txn == 1,
              f"the killed instance owned {owned:.0f} partition(s) and had a transaction open "
              f"{(time.monotonic() - scraped) * 1000:.0f} ms before the SIGKILL")
        feeder.join()
        h.wait_consumed(broker.bootstrap, two, 300, NAME)
        check(two.alive(), "the survivor processed the rest alone")
        took = h.eventually(lambda: holding(two)[0], lambda n: n == PARTITIONS, 30, two, name=NAME)
        check(took == PARTITIONS, f"the survivor owns all {PARTITIONS} partitions ({took:.0f})")

        # 3. A newcomer under the survivor's name fences it.
        three = h.Adapter(args.adapter, config, work / "three.log", instance="two").start()
        adapters.append(three)
        check(wait_log(three, "running"), "the newcomer initialised its transactions")
        h.produce(broker.bootstrap, clock)  # fires every pending timer, wherever it now lives
        try:
            rc_two = two.proc.wait(60)
        except Exception:
            rc_two = None
        fenced = [l for l in two.log_lines() if l.get("message", "").startswith("producer fenced: another instance "
                                                                                "took over transactional.id")]
        check(rc_two == 4 and len(fenced) == 1, f"fenced instance exited {rc_two} and said so")
        h.wait_consumed(broker.bootstrap, three, 300, NAME)

        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(args.adapter, config, records + clock, until, work)]
        result = h.compare(live, replayed, keys)
        check(h.exactly_once(result), h.counts(result))
        if result["lost"] or result["duplicated"]:
            h.say(NAME, h.json.dumps(h.first_difference(live, replayed, keys))[:3000])
        check(three.stop() == 0, "newcomer stopped cleanly on SIGTERM")
        errors = [e for a in (one, three) for e in h.log_errors(a)]
        check(not errors, f"no error log lines from the others ({errors[:2]})")
        if failures:
            h.say(NAME, f"FAIL: {len(failures)} checks failed; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed (lost 0, duplicated 0 of {result['expected']})")
        return 0
    finally:
        for a in adapters:
            if a.alive():
                a.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
