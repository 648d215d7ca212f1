#!/usr/bin/env python3
"""Hostile input on a real broker (issue 16, docs/decisions/0035): a value
nested 140,000 deep, a 15 MiB value, invalid UTF-8, a NUL and a lone
surrogate in escapes, a raw NUL byte before more JSON, duplicate keys, a
contacts map of 20,000 roles and numbers out of a double's range,
interleaved in one partition with two valid challenges. Each hostile record is dead-lettered, unchanged, with its reason
in __connect.errors.exception.message; the challenge raised 60 days ago
escalates through its overdue stages as soon as it is read (its deadlines
have passed), exactly once each as `replay --until` says; the one after the
hostile records starts; the committed offset passes them all; the service is
the process it started as, and stops cleanly. `replay` on the same deep
record exits 0 and prints its dead letter.
"""
import json
import subprocess
import sys
import time
from collections import Counter

import e2e_harness as h

NAME = "e2e_hostile_input"
DAY = 86400
MESSAGE = "__connect.errors.exception.message"
CLASS = "__connect.errors.exception.class.name"
DEEP = "[" * 140000 + "]" * 140000  # ~280 KB; before decision 0035 it crashed every connector
LARGE = 15 * 1024 * 1024  # under the input topic's 16 MiB max.message.bytes with the record's overhead


def raised(cid, at, **extra):
    return {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": h.iso(at), "challenge_id": cid,
            "case_id": f"CASE-{cid}", "protocol": "calderdale", "agency": "Primary School", **extra}


def hostile_records(now):
    """(key, value bytes, the reason its dead letter must give)."""
    base = json.dumps(raised("HOSTILE", now), separators=(",", ":"))[:-1]  # open: members are appended
    contacts = {f"role_{i}": {"email": f"r{i}@example.gov.uk"} for i in range(20000)}
    return [
        ("H-DEEP", DEEP.encode(), "nesting deeper than 64 levels"),
        ("H-LARGE", (base + ',"summary":"' + "x" * LARGE + '"}').encode(), "value larger than 1048576 bytes"),
        ("H-UTF8", (base + ',"summary":"').encode() + b"\xc3\x28\xff" + b'"}', "invalid UTF-8"),
        ("H-NUL", (base + r',"summary":"a\u0000b"}').encode(), "NUL character in a string"),
        ("H-SURROGATE", (base + r',"summary":"\udc00"}').encode(), "unpaired UTF-16 surrogate"),
        ("H-DUPLICATE", (base + ',"type":"challenge.closed"}').encode(), "duplicate key"),
        ("H-CONTACTS", (base + ',"contacts":' + json.dumps(contacts, separators=(",", ":")) + "}").encode(),
         "/contacts"),
        ("H-NUMBER", (base + ',"exemplary":1e400}').encode(), "Number too big to be stored in double"),
        ("H-INFINITY", (base + ',"exemplary":-3e308}').encode(), "number out of range"),
        ("H-NUL-BYTE", (base + "}").encode() + b"\x00" + b'{"type":"challenge.closed"}', "NUL character"),
    ]


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args, 0) as t:
        work, broker, check = t.work, t.broker, t.check
        # replay first: no broker involved, the same parse, and its printer
        # parses a dead letter again to print it.
        lines = work / "deep.jsonl"
        lines.write_text(json.dumps({"topic": h.INPUT, "key": "H-DEEP", "value": DEEP}) + "\n" +
                         '{"topic":"crp.commands","key":"H-DEEP-2","value":' + DEEP + "}\n")
        config = h.write_config(work / "service.json", broker.bootstrap, {"commit_interval_ms": 100})
        run = subprocess.run([args.adapter, "replay", "--config", config, "--input", str(lines)],
                             capture_output=True, text=True, timeout=120)
        printed = [json.loads(line) for line in run.stdout.splitlines()]
        check(run.returncode == 0 and len(printed) == 2 and
              all(p["topic"] == "crp.dlq" and "nesting deeper than 64 levels" in p["headers"][MESSAGE]
                  for p in printed),
              f"replay of the deep record and of a deep replay line: exit {run.returncode}, "
              f"{len(printed)} dead letters naming the depth limit")

        broker.create_topics(3)
        adapter = t.adapter(config, "adapter.log", instance="hostile")
        pid = adapter.proc.pid
        now = int(time.time())
        old = {"topic": h.INPUT, "key": "HOSTILE-OLD", "partition": 0, "headers": {},
               "value": raised("HOSTILE-OLD", now - 60 * DAY)}
        new = {"topic": h.INPUT, "key": "HOSTILE-NEW", "partition": 0, "headers": {},
               "value": raised("HOSTILE-NEW", now)}
        hostile = hostile_records(now)
        records = [{"topic": h.INPUT, "key": key, "partition": 0, "headers": {}, "value": value}
                   for key, value, _ in hostile]
        # The valid challenges between and after the hostile records, in one partition.
        sent = records[:1] + [old] + records[1:] + [new]
        sent_at = time.time()
        h.produce(broker.bootstrap, sent)
        end = h.wait_consumed(broker.bootstrap, adapter, 180, NAME)
        consumed_in = time.time() - sent_at
        check(adapter.alive() and adapter.proc.pid == pid and adapter.starts == 1,
              f"the service never restarted (same process {pid}, alive)")
        committed = h.committed_offsets(broker.bootstrap, h.INPUT, end)
        check(committed[0] == end[0] == len(sent),
              f"committed offset of partition 0 passed every record ({committed[0]} of {len(sent)})")

        # The overdue challenge's escalations, as replay prints them up to now.
        until = h.iso(int(time.time()))
        want_lines = h.run_replay(args.adapter, config, [old, new], until, work)
        valid = {"HOSTILE-OLD", "HOSTILE-NEW"}
        topics = sorted({l["topic"] for l in want_lines} | {"crp.dlq", "crp.escalations"})
        out = h.read_committed(broker.bootstrap, topics)
        # Only the valid keys are decoded: Python's own json recurses on the deep one.
        # Escalations are compared whole; a case note's recorded_at is when the
        # live service wrote it (replay's is the virtual clock), so the other
        # topics are compared by count per topic and key.
        live = [h.normalise_live(r) for r in out if r["key"] in valid]
        want = [h.normalise_replay(l) for l in want_lines]
        escalations = [t for t in live if t[0] == "crp.escalations"]
        result = h.compare(escalations, [t for t in want if t[0] == "crp.escalations"], valid)
        check(h.exactly_once(result), "valid challenges' escalations, " + h.counts(result))
        if not h.exactly_once(result):
            h.say(NAME, json.dumps(h.first_difference(escalations, want, valid))[:3000])
        per_topic = lambda items: Counter((t[0], t[1]) for t in items)
        check(per_topic(live) == per_topic(want),
              f"every output of the valid challenges once, as replay: {sum(per_topic(live).values())} records "
              f"on {len({t[0] for t in live})} topics" +
              ("" if per_topic(live) == per_topic(want) else f" (live {per_topic(live)}, replay {per_topic(want)})"))
        escalated = [r for r in out if r["topic"] == "crp.escalations" and r["key"] == "HOSTILE-OLD"]
        check(len(escalated) >= 2 and consumed_in < 120,
              f"the overdue challenge escalated as soon as it was read ({len(escalated)} escalations, "
              f"all records consumed in {consumed_in:.1f} s)")
        check(any(r["key"] == "HOSTILE-NEW" and r["topic"] == "crp.escalations" for r in out),
              "the challenge after the hostile records started")

        dlq = {r["key"]: r for r in out if r["topic"] == "crp.dlq"}
        check(len(dlq) == len(hostile) and not valid & set(dlq),
              f"{len(dlq)} dead letters ({len(hostile)} expected), none of a valid challenge")
        for offset, (key, value, reason) in enumerate(hostile):
            r = dlq.get(key)
            if r is None:
                check(False, f"{key}: dead-lettered")
                continue
            want_offset = offset if offset == 0 else offset + 1  # the overdue challenge is second
            check(r["value"] == value and r["headers"].get("__connect.errors.offset") == str(want_offset),
                  f"{key}: original {len(value)} bytes at offset {want_offset} unchanged")
            message = r["headers"].get(MESSAGE, "")
            check(reason in message and r["headers"].get(CLASS, "").startswith("crp."),
                  f"{key}: {r['headers'].get(CLASS)}: {message[:120]}")

        rc = adapter.stop()
        check(rc == 0, f"SIGTERM: exit {rc}")
        text = adapter.log_path.read_text()
        check("xxxxxxxx" not in text and "r19999@" not in text and "[[[[" not in text, "no record value in the log")
        check(not h.log_errors(adapter), "no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
