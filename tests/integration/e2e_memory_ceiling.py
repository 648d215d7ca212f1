#!/usr/bin/env python3
"""runtime.memory_limit_mib on a real broker (docs/decisions/0031), the adapter
a child process, two input partitions: partition 0's changelog holds many
challenge states, partition 1's a few.
  1. A first run with no limit makes the states (one challenge per partition)
     and gives the resident memory of an instance with almost no state.
  2. Changelog partition 0 gets N more states: copies of the one the service
     itself encoded, each under its own challenge id.
  3. Control: a run with no limit restores all of them (and gives the
     resident memory with all of partition 0 restored).
  4. A run with a limit half way between the two: it stays up; one error line
     names partition 0 (no personal data); /readyz answers 503 with the
     reason; /metrics shows the refusal; an event sent to partition 1 is
     processed, while one sent to partition 0 is not (no output, its
     committed offset does not move).
  5. Again with no limit: partition 0 is restored and its event of 4
     processed (nothing was lost).
The limit comes from the figures of 1 and 3, so the test holds whatever a
challenge costs in memory.
"""
import json
import sys
import time
from pathlib import Path

from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

import e2e_harness as h
from e2e_admin import Admin

NAME = "e2e_memory_ceiling"
PARTITIONS = 2
BIG, SMALL = 0, 1
STATES = 100_000          # on partition 0: some 1-2 KiB of resident memory each once restored
TEMPLATE = "MEMBIG-0000000"  # copies keep its length: MEMBIG-0000001 ...


def raised(cid, partition):
    return {"topic": h.INPUT, "key": cid, "partition": partition, "headers": {},
            "value": {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": h.iso(time.time()),
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": "calderdale",
                      "agency": "Primary School"}}


def rss_mib(adapter):
    for line in Path(f"/proc/{adapter.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def metrics(admin):
    status, body, _ = admin.get("/metrics")
    assert status == 200, status
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def metric(samples, name, **labels):
    want = set(labels.items())
    return sum(v for (n, l), v in samples.items() if n == name and want <= set(l))


def wait_for(what, predicate, adapter, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not adapter.alive():
            raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode} waiting for {what}")
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"{NAME}: no {what} within {timeout} s; log {adapter.log_path}")


def wait_ready(admin, adapter, timeout=90):
    return wait_for("/readyz 200", lambda: admin.get("/readyz")[0] == 200, adapter, timeout)


def escalated(bootstrap, key):
    return [r for r in h.read_committed(bootstrap, ["crp.escalations"]) if r["key"] == key]


def committed(bootstrap):
    return h.committed_offsets(bootstrap, h.INPUT, [BIG, SMALL])


def fill_changelog(bootstrap, template, count):
    """`count` copies of the state the service encoded for TEMPLATE, each
    under its own id of the same length, to changelog partition 0; plain
    idempotent producer, as bench/changelog_fill does."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20,
                  "batch.size": 1_000_000, "queue.buffering.max.messages": 200_000})
    old = TEMPLATE.encode()
    for i in range(1, count + 1):
        cid = f"MEMBIG-{i:07d}".encode()
        value = template.replace(old, cid)
        while True:
            try:
                p.produce(h.CHANGELOG, key=cid, value=value, partition=BIG)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(120) == 0, "changelog fill not delivered"


def main():
    args = h.arguments(__doc__).parse_args()
    started = time.time()
    with h.E2E(NAME, args, PARTITIONS) as t:
        broker, check = t.broker, t.check

        def config(tag, runtime_extra):
            return t.config({"commit_interval_ms": 100, "create_topics": True, **runtime_extra}, f"{tag}.json")

        # 1. The states to copy, and an instance's resident memory with almost none.
        adapter = t.adapter(config("seed", {}), "adapter-seed.log", instance="mem")
        admin = Admin(h.admin_port(adapter, name=NAME))
        wait_ready(admin, adapter)
        h.produce(broker.bootstrap, [raised(TEMPLATE, BIG), raised("MEMSMALL-0000001", SMALL)])
        h.wait_consumed(broker.bootstrap, adapter, 60, NAME)
        base_mib = rss_mib(adapter)
        check(adapter.stop() == 0, "seed run: clean stop")
        states = [r for r in h.read_committed(broker.bootstrap, [h.CHANGELOG])
                  if r["key"] == TEMPLATE and r["partition"] == BIG]
        assert states, "the seed run wrote no state for the template challenge"
        template = states[-1]["value"]
        assert TEMPLATE.encode() in template, "the encoded state does not carry its challenge id"

        # 2. Many states on changelog partition 0 only.
        t0 = time.time()
        fill_changelog(broker.bootstrap, template, STATES)
        h.say(NAME, f"{STATES} states ({len(template)} bytes each) on changelog partition {BIG} "
                    f"in {time.time() - t0:.1f} s; base RSS {base_mib:.0f} MiB")
        before = committed(broker.bootstrap)

        # 3. Control: no limit, everything restored.
        adapter = t.adapter(config("control", {}), "adapter-control.log", instance="mem")
        admin = Admin(h.admin_port(adapter, name=NAME))
        wait_ready(admin, adapter)
        restored = sum(int(l.get("challenges", 0)) for l in adapter.log_lines() if l.get("message") == "state restored")
        check(restored == STATES + 2, f"control: every state restored ({restored} of {STATES + 2})")
        full_mib = rss_mib(adapter)
        check(adapter.stop() == 0, "control run: clean stop")
        check(full_mib > base_mib + 32, f"control: partition 0 takes memory ({base_mib:.0f} -> {full_mib:.0f} MiB)")

        # 4. With a limit half way between an instance with almost no state and one with all.
        limit_mib = int((base_mib + full_mib) / 2)
        adapter = t.adapter(config("limited", {"memory_limit_mib": limit_mib}), "adapter-limited.log", instance="mem")
        admin = Admin(h.admin_port(adapter, name=NAME))

        def refusal_line():
            return next((l for l in adapter.log_lines() if l.get("message", "").startswith("partitions refused")),
                        None)

        line = wait_for("'partitions refused' log line", refusal_line, adapter, 60)
        check(line.get("level") == "error" and line.get("partitions") == str(BIG),
              f"an error line names partition {BIG} ({line})")
        # rss_mib is rounded down: a few KiB above the limit shows as the limit itself.
        check(line.get("limit_mib") == limit_mib and line.get("rss_mib", 0) >= limit_mib,
              f"... with the limit and the resident memory above it ({line.get('rss_mib')} >= {limit_mib})")
        check(not any(s in json.dumps(line) for s in ("MEMBIG", "CASE-", "Primary School")),
              "... and no challenge, case or agency in it")
        # Partition 1 is restored after the refusal, by the same instance.
        wait_for("/readyz answering for the refusal",
                 lambda: "refused" in admin.get("/readyz")[1], adapter, 30)
        status, body, _ = admin.get("/readyz")
        check(status == 503 and f"partition(s) {BIG} refused" in body and "runtime.memory_limit_mib" in body,
              f"/readyz 503 with the reason ({status} {body.strip()})")
        check(admin.get("/healthz")[0] == 200, "/healthz 200: the loop turns")

        # Partition 0's event first: were it consumed, it would be by the time partition 1's is.
        h.produce(broker.bootstrap, [raised("MEM-P0-LATE", BIG), raised("MEM-P1-LATE", SMALL)])
        wait_for("partition 1's event processed", lambda: escalated(broker.bootstrap, "MEM-P1-LATE"), adapter, 60)
        wait_for("partition 1's offset committed",
                 lambda: committed(broker.bootstrap).get(SMALL, -1) == before[SMALL] + 1, adapter, 30)
        deadline = time.time() + 3  # a window for partition 0's event to (wrongly) come out
        while time.time() < deadline and not escalated(broker.bootstrap, "MEM-P0-LATE"):
            time.sleep(0.5)
        check(not escalated(broker.bootstrap, "MEM-P0-LATE"), "partition 0's event produced no output")
        after = committed(broker.bootstrap)
        check(after.get(BIG) == before.get(BIG), f"partition 0's committed offset did not move ({before} -> {after})")
        # Counters awaited (until each has counted what it must), not read once.
        m = h.eventually(lambda: metrics(admin), lambda m: metric(m, "crp_records_in_total") >= 1
                         and metric(m, "crp_partition_refusals_total") >= 1, 30, adapter, name=NAME)
        check(metric(m, "crp_partitions_refused") == 1, f"crp_partitions_refused 1 ({metric(m, 'crp_partitions_refused')})")
        check(metric(m, "crp_partition_refusals_total", partition=str(BIG)) == 1
              and metric(m, "crp_partition_refusals_total") == 1, "crp_partition_refusals_total{partition=\"0\"} 1")
        check(metric(m, "crp_owned_partitions") == 1, "owns partition 1 only")
        check(metric(m, "crp_memory_limit_bytes") == limit_mib * 2 ** 20, "crp_memory_limit_bytes")
        check(metric(m, "crp_ready") == 0, "crp_ready 0")
        check(metric(m, "crp_records_in_total") == 1, f"one record in ({metric(m, 'crp_records_in_total')})")
        check(adapter.alive(), "the limited instance stayed up")
        check(adapter.stop() == 0, "limited run: clean stop")
        errors = [l for l in h.log_errors(adapter) if not l.get("message", "").startswith("partitions refused")]
        check(not errors, f"no other error lines ({errors[:2]})")

        # 5. No limit again: partition 0 comes back, with the event it was sent meanwhile.
        adapter = t.adapter(config("after", {}), "adapter-after.log", instance="mem")
        admin = Admin(h.admin_port(adapter, name=NAME))
        wait_ready(admin, adapter)
        wait_for("partition 0's event processed once the partition is restored",
                 lambda: escalated(broker.bootstrap, "MEM-P0-LATE"), adapter, 60)
        h.wait_consumed(broker.bootstrap, adapter, 60, NAME)
        check(committed(broker.bootstrap).get(BIG) == before[BIG] + 1, "afterwards: partition 0's offset moved by one")
        check(adapter.stop() == 0, "last run: clean stop")
        check(not h.log_errors(adapter), "last run: no error lines")

        h.say(NAME, f"base {base_mib:.0f} MiB, limit {limit_mib} MiB, refused at {line.get('rss_mib')} MiB, "
                    f"{line.get('rss_mib_after_release')} MiB after release, all restored {full_mib:.0f} MiB; "
                    f"{time.time() - started:.0f} s")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
