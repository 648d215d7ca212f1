#!/usr/bin/env python3
"""Bad input on a real broker: not JSON, schema-invalid, an unknown type and
a 10 MB record each go to the DLQ unchanged, with Kafka Connect error headers
naming where they came from and why (as `replay` decides); the adapter stays
up, processes the good record behind them, and its committed offsets pass
them all. Also checks the start-up refusal when topics are missing, then lets
the adapter create them itself (runtime.create_topics).
"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import e2e_harness as h

NAME = "e2e_dead_letter"
TEN_MB = 10 * 1024 * 1024
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def event(kind, cid, **extra):
    return {"type": kind, "event_id": f"{cid}-1", "occurred_at": "2027-01-04T09:00:00Z", "challenge_id": cid,
            "case_id": "CASS-1", "protocol": "calderdale", **extra}


def bad_records():
    summary = "x" * TEN_MB  # valid JSON, 10 MB: too long for the schema's summary
    return [
        {"topic": h.INPUT, "key": "DLQ-1", "partition": 0, "headers": {"traceparent": TRACEPARENT},
         "value": "this is not JSON {"},
        {"topic": h.INPUT, "key": "DLQ-2", "partition": 0, "headers": {},
         "value": {"type": "challenge.raised", "event_id": "DLQ-2-1", "challenge_id": "DLQ-2"}},
        {"topic": h.INPUT, "key": "DLQ-3", "partition": 0, "headers": {}, "value": event("challenge.exploded", "DLQ-3")},
        {"topic": h.INPUT, "key": "DLQ-4", "partition": 0, "headers": {},
         "value": event("challenge.raised", "DLQ-4", summary=summary)},
    ]


def wait_for_topics(bootstrap, topics, adapter, timeout=60):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not adapter.alive():
            raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode}")
        if set(topics) <= set(admin.list_topics(timeout=10).topics):
            return
        time.sleep(0.5)
    raise SystemExit(f"{NAME}: the adapter did not create {topics}")


def main():
    args = h.arguments(__doc__, 19692).parse_args()
    work = Path(tempfile.mkdtemp(prefix="crp-e2e-dlq-"))
    broker = h.Broker(args.port).start()
    adapter = None
    failures = []

    def check(ok, what):
        h.say(NAME, f"{'ok' if ok else 'FAIL'}: {what}")
        if not ok:
            failures.append(what)

    try:
        # 1. No topics and create_topics off: a clear start-up error.
        config = h.write_config(work / "strict.json", broker.bootstrap, {"commit_interval_ms": 100})
        run = subprocess.run([args.adapter, "run", "--config", config, "--instance", "dlq"],
                             capture_output=True, text=True, timeout=60)
        check(run.returncode == 3 and "topic crp.commands does not exist; create it or set runtime.create_topics"
              in run.stderr and "/inputs/0/topic" in run.stderr,
              f"missing topic refused at start-up (exit {run.returncode}: {run.stderr.strip()[:200]})")

        # 2. create_topics on: the adapter creates what is missing, then runs.
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"commit_interval_ms": 100, "create_topics": True})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log", instance="dlq").start()
        wait_for_topics(broker.bootstrap, [h.INPUT, h.CHANGELOG, *h.OUTPUTS], adapter)
        bad = bad_records()
        good = {"topic": h.INPUT, "key": "GOOD-1", "partition": 0, "headers": {},
                "value": event("challenge.raised", "GOOD-1")}
        h.produce(broker.bootstrap, bad + [good])
        end = h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        check(adapter.alive(), "adapter still running after the bad records")
        committed = h.committed_offsets(broker.bootstrap, h.INPUT, end)
        check(committed[0] == end[0] == 5, f"committed offset of partition 0 passed them all ({committed[0]} of {end[0]})")

        out = h.read_committed(broker.bootstrap, ["crp.dlq", "crp.escalations"])
        dlq = sorted((r for r in out if r["topic"] == "crp.dlq"), key=lambda r: int(r["headers"].get(
            "__connect.errors.offset", -1)))
        check(len(dlq) == 4, f"{len(dlq)} dead letters (4 expected)")
        expected = [l for l in h.run_replay(args.adapter, config, bad, None, work) if l["topic"] == "crp.dlq"]
        for offset, (record, sent, want) in enumerate(zip(dlq, bad, expected)):
            hd = record["headers"]
            check(record["value"] == h.value_bytes(sent["value"]) and record["key"] == sent["key"],
                  f"{sent['key']}: original bytes and key unchanged ({len(record['value'])} bytes)")
            check(hd.get("__connect.errors.topic") == h.INPUT and hd.get("__connect.errors.partition") == "0"
                  and hd.get("__connect.errors.offset") == str(offset),
                  f"{sent['key']}: source headers topic/partition/offset = "
                  f"{hd.get('__connect.errors.topic')}/{hd.get('__connect.errors.partition')}/"
                  f"{hd.get('__connect.errors.offset')}")
            cls = "__connect.errors.exception.class.name"
            msg = "__connect.errors.exception.message"
            check(hd.get(cls) == want["headers"][cls] and hd.get(msg) == want["headers"][msg],
                  f"{sent['key']}: {hd.get(cls)}: {hd.get(msg, '')[:80]}")
        check(dlq and dlq[0]["headers"].get("traceparent") == TRACEPARENT, "input headers kept on the dead letter")
        escalations = [r for r in out if r["topic"] == "crp.escalations" and r["key"] == "GOOD-1"]
        check(len(escalations) == 1, f"the good record behind them was processed ({len(escalations)} escalation)")

        rc = adapter.stop()
        check(rc == 0, f"SIGTERM: exit {rc}")
        lines = adapter.log_lines()
        check(not h.log_errors(adapter), "no error log lines")
        text = adapter.log_path.read_text()
        check("this is not JSON" not in text and "xxxxxxxx" not in text, "no record value in the log")
        check(sum(1 for l in lines if l.get("message") == "record dead-lettered") == 4, "each dead letter logged once")
        if failures:
            h.say(NAME, f"FAIL: {len(failures)} checks failed; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
