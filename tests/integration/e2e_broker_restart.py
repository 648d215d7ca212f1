#!/usr/bin/env python3
"""The broker goes away mid-run: `crp-adapter run` (event clock) is busy with
input when the single Kafka broker is stopped for 30 s and started again on
the same data. The adapter must ride it out without exiting, and what a
read_committed consumer sees afterwards must equal `replay`'s output:
nothing lost, nothing doubled.
"""
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e_crash_recovery as crash
import e2e_harness as h

NAME = "e2e_broker_restart"
PARTITIONS = 3


def main():
    p = h.arguments(__doc__, 19892)
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--down", type=float, default=30.0, help="seconds the broker stays stopped")
    p.add_argument("--seed", type=int, default=30)
    args = p.parse_args()
    rng = random.Random(args.seed)
    records = crash.workload(args.events, args.seed)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    clock = h.clock_records(PARTITIONS, final)
    keys = {r["key"] for r in records}

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-broker-"))
    broker = h.Broker(args.port).start()
    adapter = None
    try:
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap, {"clock": "event", "commit_interval_ms": 100})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log").start()
        half = len(records) // 2
        h.produce(broker.bootstrap, records[:half // 2])
        # The rest keeps arriving (the producer buffers while the broker is down).
        feeder = threading.Thread(target=crash.feed, args=(broker.bootstrap, records[half // 2:], 8))
        feeder.start()
        time.sleep(rng.uniform(1.0, 4.0))
        # The fault must land on an adapter at work: its state restored, input not yet all committed.
        restored_before = any(l.get("message") == "state restored" for l in adapter.log_lines())
        produced = sum(h.end_offsets(broker.bootstrap, h.INPUT).values())
        committed = sum(max(0, o) for o in h.committed_offsets(broker.bootstrap, h.INPUT, range(PARTITIONS)).values())
        lines_before = len(adapter.log_lines())
        h.say(NAME, f"stopping the broker for {args.down:.0f} s ({committed} of {produced} input records committed)")
        broker._kl("stop")
        time.sleep(args.down)
        alive_while_down = adapter.alive()
        broker._kl("start", stdout=h.subprocess.DEVNULL)
        h.say(NAME, "broker started again")
        feeder.join()
        h.produce(broker.bootstrap, clock)
        h.wait_consumed(broker.bootstrap, adapter, 300, NAME)
        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(args.adapter, config, records + clock, until, work)]
        result = h.compare(live, replayed, keys)
        rc = adapter.stop()
        lines = adapter.log_lines()
        aborts = sum(1 for l in lines if l.get("message", "").startswith("transaction aborted"))
        errors = h.log_errors(adapter)
        # What the adapter said from the stop on: it saw the broker go (librdkafka's
        # transport errors are logged as warnings or errors).
        noticed = [l for l in lines[lines_before:] if l.get("level") in ("warning", "error")]
        h.say(NAME, f"adapter alive while the broker was down: {alive_while_down}; {aborts} aborted transactions; "
                    f"{len(noticed)} warning or error lines after the stop, "
                    f"{len(errors)} error log lines (expected while the broker is away)")
        h.say(NAME, f"{h.counts(result)}; exit {rc}")
        faults = [(restored_before and committed < produced,
                   f"the broker stopped under an adapter at work (state restored: {restored_before}; "
                   f"{committed} of {produced} input records committed)"),
                  (len(noticed) > 0, f"the adapter saw the broker go ({len(noticed)} warning or error lines)")]
        for held, what in faults:
            h.say(NAME, f"{'ok' if held else 'FAIL'}: {what}")
        ok = (alive_while_down and rc == 0 and h.exactly_once(result) and adapter.starts == 1
              and all(held for held, _ in faults))
        if not ok:
            h.say(NAME, f"FAIL: {h.json.dumps(h.first_difference(live, replayed, keys))[:2000]}; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed (lost 0, duplicated 0 of {result['expected']})")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
