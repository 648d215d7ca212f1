#!/usr/bin/env python3
"""The broker goes away mid-run: `crp-adapter run` (event clock) is busy with
input when the single Kafka broker is stopped for 30 s and started again on
the same data. The adapter must ride it out without exiting, and what a
read_committed consumer sees afterwards must equal `replay`'s output:
nothing lost, nothing doubled.
"""
import random
import sys
import threading
import time

import e2e_crash_recovery as crash
import e2e_harness as h
from e2e_admin import holding

NAME = "e2e_broker_restart"
PARTITIONS = 3


def main():
    p = h.arguments(__doc__)
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--down", type=float, default=30.0, help="seconds the broker stays stopped")
    p.add_argument("--seed", type=int, default=30)
    args = p.parse_args()
    rng = random.Random(args.seed)
    records = crash.workload(args.events, args.seed)
    clock, until = h.day_after(records, PARTITIONS)
    keys = {r["key"] for r in records}

    with h.E2E(NAME, args, PARTITIONS) as t:
        broker, check = t.broker, t.check
        # Batches by interval (docs/decisions/0052): a transaction is open most of the time, so
        # the stop lands in one. Adaptively, sparse input commits at once: in one CI run every
        # record was committed when the broker went, and nothing was left to abort.
        config = t.config({"clock": "event", "commit": "interval", "commit_interval_ms": 500})
        adapter = t.adapter(config)
        half = len(records) // 2
        h.produce(broker.bootstrap, records[:half // 2])
        # The rest keeps arriving (the producer buffers while the broker is down).
        # Fed over 20 s: input is still arriving when the transaction-open scrape below succeeds.
        feeder = threading.Thread(target=crash.feed, args=(broker.bootstrap, records[half // 2:], 20))
        feeder.start()
        time.sleep(rng.uniform(1.0, 4.0))
        # The fault must land on an adapter at work: its state restored, a transaction open.
        restored_before = any(l.get("message") == "state restored" for l in adapter.log_lines())
        owned, open_txn = h.eventually(lambda: holding(adapter, NAME), lambda held: held[1] == 1, 15,
                                       adapter, every=0.05, name=NAME)
        # Committed first, then produced: the feeder is still producing, so reading them the
        # other way round can show more committed than the (older) end offsets.
        committed = sum(max(0, o) for o in h.committed_offsets(broker.bootstrap, h.INPUT, range(PARTITIONS)).values())
        produced = sum(h.end_offsets(broker.bootstrap, h.INPUT).values())
        feeding = feeder.is_alive()
        lines_before = len(adapter.log_lines())
        t.say(f"stopping the broker for {args.down:.0f} s ({committed} of {produced} input records committed)")
        broker._kl("stop")
        time.sleep(args.down)
        alive_while_down = adapter.alive()
        broker._kl("start", stdout=h.subprocess.DEVNULL)
        t.say("broker started again")
        feeder.join()
        h.produce(broker.bootstrap, clock)
        h.wait_consumed(broker.bootstrap, adapter, 300, NAME)
        result = t.exactly_once(config, records + clock, until, keys)
        t.summary = f" (lost 0, duplicated 0 of {result['expected']})"
        rc = adapter.stop()
        lines = adapter.log_lines()
        after = lines[lines_before:]
        aborts = sum(1 for l in after if l.get("message", "").startswith("transaction aborted"))
        # The open transaction met the outage: its commit was retried while the broker was away
        # (it may then commit, or be aborted: both keep exactly-once), or it was aborted.
        retried = sum(1 for l in after if l.get("message") == "transaction call failed, retrying"
                      and l.get("call") in ("commit_transaction", "send_offsets_to_transaction"))
        errors = h.log_errors(adapter)
        # What the adapter said from the stop on: it saw the broker go (librdkafka's
        # transport errors are logged as warnings or errors).
        noticed = [l for l in lines[lines_before:] if l.get("level") in ("warning", "error")]
        t.say(f"{len(errors)} error log lines (expected while the broker is away)")
        # The fault happened, to an adapter at work, and the adapter saw it.
        check(restored_before and owned == PARTITIONS and open_txn == 1 and feeding,
              f"the broker stopped under an adapter at work (state restored: {restored_before}; owned "
              f"{owned:.0f} partitions; transaction open: {open_txn:.0f}; {committed} of {produced} input "
              f"records committed; input still arriving: {feeding})")
        check(len(noticed) > 0, f"the adapter saw the broker go ({len(noticed)} warning or error lines)")
        check(aborts > 0 or retried > 0, f"the transaction open when the broker went met the outage "
                                         f"({retried} commit calls retried, {aborts} aborts after the stop)")
        check(alive_while_down and adapter.starts == 1, "the adapter rode the outage out without exiting")
        check(rc == 0, f"clean stop (exit {rc})")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
