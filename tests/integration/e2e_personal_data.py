#!/usr/bin/env python3
"""No personal data leaks out of the adapter (issue 7, item 5).

Events whose personal fields (a child's or a worker's name, an address, the
free-text concern) carry unique marker strings go through a real broker and
`crp-adapter run`: valid ones, schema-invalid ones and ones the engine
rejects. Then every log line, every record on every topic the service writes
(keys, headers, values; the changelog included) and every DLQ header is
scanned. A marker may appear in exactly one place: the value of a dead letter,
which is the original input kept unchanged so nothing is lost.
"""
import json
import sys
import tempfile
import uuid
from pathlib import Path

import e2e_harness as h

NAME = "e2e_personal_data"
TOKEN = uuid.uuid4().hex[:12]
MARKERS = {
    "child name": f"ZqChildName{TOKEN}",
    "worker name": f"ZqWorkerName{TOKEN}",
    "address": f"ZqAddress{TOKEN}",
    "concern": f"ZqConcern{TOKEN}",
}


def raised(cid, **extra):
    return {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": "2027-01-04T09:00:00Z",
            "challenge_id": cid, "case_id": f"LCS-{cid}", "protocol": "rotherham", **extra}


def records():
    contacts = {"social_worker": {"name": MARKERS["worker name"], "email": "sw@authority.example"},
                "child": {"name": MARKERS["child name"]}}
    concern = f"Plan not progressing; {MARKERS['concern']}; child at {MARKERS['address']}"
    values = [
        # Valid: names and the concern are accepted and must be dropped.
        raised("PD-1", contacts=contacts, summary=concern),
        {"type": "challenge.response_received", "event_id": "PD-1-2", "occurred_at": "2027-01-05T09:00:00Z",
         "challenge_id": "PD-1", "case_id": "LCS-PD-1", "protocol": "rotherham", "summary": concern},
        # Schema-invalid: a field the schema does not know, holding a name and an address.
        raised("PD-2", child_name=MARKERS["child name"], address=MARKERS["address"]),
        # Schema-invalid value in a personal field (a number where text belongs is
        # fine; an over-long concern is not).
        raised("PD-3", summary=MARKERS["concern"] * 2000),
        # Rejected by the engine (no such stage transition): the message must not echo it.
        {"type": "challenge.response_accepted", "event_id": "PD-4-1", "occurred_at": "2027-01-05T09:00:00Z",
         "challenge_id": "PD-4", "case_id": "LCS-PD-4", "protocol": "rotherham", "summary": concern,
         "contacts": contacts},
        # Not JSON at all, the marker inside.
        f"name={MARKERS['child name']} {{",
    ]
    return [{"topic": h.INPUT, "key": f"PD-{i}", "partition": i % 3, "headers": {}, "value": v}
            for i, v in enumerate(values)]


def find_markers(blob):
    text = blob.decode(errors="replace") if isinstance(blob, bytes) else str(blob)
    return [what for what, m in MARKERS.items() if m in text]


def main():
    args = h.arguments(__doc__, 18900).parse_args()
    work = Path(tempfile.mkdtemp(prefix="crp-e2e-pd-"))
    broker = h.Broker(args.port).start()
    adapter = None
    check = h.Checks(NAME)
    try:
        broker.create_topics()
        config = h.write_config(work / "service.json", broker.bootstrap, {"commit_interval_ms": 100})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log", instance="pd").start()
        sent = records()
        h.produce(broker.bootstrap, sent)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        check(adapter.stop() == 0, "clean stop")

        topics = [*h.OUTPUTS, h.CHANGELOG]
        out = h.read_committed(broker.bootstrap, topics)
        dlq = [r for r in out if r["topic"] == "crp.dlq"]
        check(len(dlq) == 4, f"{len(dlq)} dead letters (4 invalid or rejected inputs)")
        check(any(r["topic"] == "crp.escalations" and r["key"] == "PD-1" for r in out),
              "the valid challenge was processed")
        check(any(r["topic"] == h.CHANGELOG and r["key"] == "PD-1" for r in out), "its state reached the changelog")

        leaks = []
        for r in out:
            where = f"{r['topic']}[{r['partition']}]@{r['offset']}"
            for what in find_markers(r["key"] or ""):
                leaks.append(f"{what} in the key of {where}")
            for k, v in r["headers"].items():
                for what in find_markers(k + "=" + v):
                    leaks.append(f"{what} in header {k} of {where}")
            if r["topic"] != "crp.dlq":  # a dead letter's value is the input, unchanged
                for what in find_markers(r["value"]):
                    leaks.append(f"{what} in the value of {where}")
        for n, line in enumerate(adapter.log_path.read_text().splitlines(), 1):
            for what in find_markers(line):
                leaks.append(f"{what} in log line {n}")
        scanned = len(out)
        check(not leaks, f"no marker in {scanned} records' keys, headers and values nor in the log"
              + (f": {leaks[:5]}" if leaks else ""))
        # The scan must be able to fail: the markers did reach the broker.
        check(sum(1 for r in dlq if find_markers(r["value"])) == 4, "the markers are in the dead letters' values")

        if check.failures:
            h.say(NAME, f"FAIL: {len(check.failures)} checks failed; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
