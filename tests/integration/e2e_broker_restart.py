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
        h.say(NAME, f"stopping the broker for {args.down:.0f} s")
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
        h.say(NAME, f"adapter alive while the broker was down: {alive_while_down}; {aborts} aborted transactions; "
                    f"{len(errors)} error log lines (expected while the broker is away)")
        h.say(NAME, f"{h.counts(result)}; exit {rc}")
        ok = alive_while_down and rc == 0 and h.exactly_once(result) and adapter.starts == 1
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
