#!/usr/bin/env python3
"""End to end on a real broker: a third-party producer (confluent-kafka) feeds
the seed scenarios' events to `crp-adapter run` (event clock), a third-party
read_committed consumer reads every output topic, and what it sees must equal,
record for record per challenge, what `crp-adapter replay` prints for the same
input (ignoring `at` and time headers).

replay has one clock for all records while the service has one per input
partition, so the input is ordered by occurred_at and ends with one event per
partition at a time after every deadline compared (see clock_records).
"""
import json
import sys
import tempfile
from pathlib import Path

import e2e_harness as h

NAME = "e2e_replay_equivalence"
PARTITIONS = 3


def scenario_records():
    files = sorted((h.REPO / "tests" / "scenarios").glob("**/*.in.jsonl"))
    records = []
    for f in files:
        prefix = f"{f.parent.name}.{f.name.removesuffix('.in.jsonl')}"
        records += h.canonical_records(f.read_text().splitlines(), prefix)
    if not records:  # no scenarios yet: a Calderdale challenge escalated by its timers
        records = h.canonical_records([json.dumps({"topic": h.INPUT, "value": {
            "type": "challenge.raised", "event_id": "e1", "occurred_at": "2027-01-04T09:00:00Z",
            "challenge_id": "CAL-1", "case_id": "CASS-1", "protocol": "calderdale"}})], "own")
    records.sort(key=h.occurred_at)  # stable: a scenario's own order is kept on ties
    return records, len(files)


def main():
    args = h.arguments(__doc__, 19492).parse_args()
    records, files = scenario_records()
    # A scenario's deliberate year typo (2207) is dead-lettered by both sides;
    # it must not set the clock every other timer is compared up to.
    last = max(t for t in map(h.occurred_at, records) if t < 4102444800)  # 2100-01-01
    # A day after the last event, every partition's clock moves to `final`:
    # each fires the timers due before it, as replay does up to `until`.
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    keys = {r["key"] for r in records if r["key"]}
    inputs = records + h.clock_records(PARTITIONS, final)
    h.say(NAME, f"{len(records)} scenario records from {files} files, {len(keys)} challenges, clock to {final}")

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-"))
    broker = h.Broker(args.port).start()
    adapter = None
    try:
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log").start()
        h.produce(broker.bootstrap, inputs)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(args.adapter, config, inputs, until, work)]
        result = h.compare(live, replayed, keys)
        rc = adapter.stop()
        errors = h.log_errors(adapter)
        h.say(NAME, f"{h.counts(result)}; adapter exit {rc}, {len(errors)} error log lines")
        ok = h.exactly_once(result) and rc == 0 and not errors
        if not ok:
            h.say(NAME, f"FAIL: {json.dumps(h.first_difference(live, replayed, keys))[:3000]}")
            h.say(NAME, f"misordered: {result['misordered'][:5]}; errors: {errors[:3]}; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
