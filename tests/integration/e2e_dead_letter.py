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
import time

import e2e_harness as h

NAME = "e2e_dead_letter"
TEN_MB = 10 * 1024 * 1024
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def event(kind, cid, **extra):
    # An hour ago: the service refuses events dated more than a day after its wall clock.
    return {"type": kind, "event_id": f"{cid}-1", "occurred_at": h.iso(time.time() - 3600), "challenge_id": cid,
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
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args, 0) as t:
        work, broker, check = t.work, t.broker, t.check
        # 1. No topics and create_topics off: a clear start-up error.
        config = h.write_config(work / "strict.json", broker.bootstrap, {"commit_interval_ms": 100})
        run = subprocess.run([args.adapter, "run", "--config", config, "--instance", "dlq"],
                             capture_output=True, text=True, timeout=60)
        check(run.returncode == 3 and "topic crp.commands does not exist; create it or set runtime.create_topics"
              in run.stderr and "/inputs/0/topic" in run.stderr,
              f"missing topic refused at start-up (exit {run.returncode}: {run.stderr.strip().splitlines()[-1][:220]})")

        def refused(name, expect_rc, expect_text, **config_args):
            path = h.write_config(work / f"{name}.json", broker.bootstrap, {"commit_interval_ms": 100}, **config_args)
            run = subprocess.run([args.adapter, "run", "--config", path, "--instance", "dlq"],
                                 capture_output=True, text=True, timeout=60)
            check(run.returncode == expect_rc and all(t in run.stderr for t in expect_text),
                  f"{name} refused (exit {run.returncode}: {run.stderr.strip().splitlines()[-1][:220]})")

        refused("an exactly-once setting overridden", 3, ["/kafka/enable.auto.commit", "exactly-once"],
                kafka={"enable.auto.commit": "true"})
        refused("an unknown librdkafka property", 3, ["/kafka/no.such.property"], kafka={"no.such.property": "1"})
        admin = h.AdminClient({"bootstrap.servers": broker.bootstrap})
        for future in admin.create_topics([h.NewTopic("mismatch.commands", 3, 1),
                                           h.NewTopic("mismatch.changelog", 1, 1)]).values():
            future.result(30)
        while not {"mismatch.commands", "mismatch.changelog"} <= set(admin.list_topics(timeout=10).topics):
            time.sleep(0.2)  # the broker's metadata can lag the controller a moment
        del admin
        refused("a changelog not co-partitioned with the input", 1,
                ["mismatch.changelog", "must have the same partition count"],
                inputs=[{"topic": "mismatch.commands", "connector": "canonical"}],
                topics={"changelog": "mismatch.changelog"})

        # 2. create_topics on: the adapter creates what is missing, then runs.
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"commit_interval_ms": 100, "create_topics": True})
        adapter = t.adapter(config, "adapter.log", instance="dlq")
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

        # 3. A DLQ topic that takes less than the input: the dead letter keeps
        # its headers, loses its bytes, and the batch still commits.
        admin = h.AdminClient({"bootstrap.servers": broker.bootstrap})
        limit = h.ConfigEntry("max.message.bytes", "1048576", incremental_operation=h.AlterConfigOpType.SET)
        for future in admin.incremental_alter_configs([h.ConfigResource("topic", "crp.dlq",
                                                                        incremental_configs=[limit])]).values():
            future.result(30)
        del admin
        adapter = t.adapter(config, "adapter2.log", instance="dlq")
        two_mb = {"topic": h.INPUT, "key": "DLQ-5", "partition": 0, "headers": {}, "value": "y" * (2 * 1024 * 1024)}
        good2 = {"topic": h.INPUT, "key": "GOOD-2", "partition": 0, "headers": {},
                 "value": event("challenge.raised", "GOOD-2")}
        h.produce(broker.bootstrap, [two_mb, good2])
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        out = h.read_committed(broker.bootstrap, ["crp.dlq", "crp.escalations"])
        dropped = [r for r in out if r["key"] == "DLQ-5"]
        check(len(dropped) == 1 and dropped[0]["value"] == b"" and
              dropped[0]["headers"].get("crp.dlq.value_dropped_bytes") == str(2 * 1024 * 1024) and
              dropped[0]["headers"].get("__connect.errors.offset") == "5",
              "a dead letter larger than the DLQ topic allows keeps its headers without its bytes")
        check(any(r["key"] == "GOOD-2" for r in out), "the record behind it was processed")
        check(adapter.stop() == 0 and not any(l.get("message", "").startswith("transaction aborted")
                                              for l in adapter.log_lines()), "no transaction aborted; clean stop")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
