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
    args = h.arguments(__doc__).parse_args()
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

    with h.E2E(NAME, args, PARTITIONS) as t:
        config = t.config({"clock": "event", "commit_interval_ms": 100})
        adapter = t.adapter(config)
        h.produce(t.bootstrap, inputs)
        h.wait_consumed(t.bootstrap, adapter, 120, NAME)
        t.exactly_once(config, inputs, until, keys)
        t.check(adapter.stop() == 0, "clean stop")
        errors = h.log_errors(adapter)
        t.check(not errors, f"no error log lines ({errors[:3]})")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
