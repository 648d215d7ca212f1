#!/usr/bin/env python3
"""End to end: webhook retries survive the adapter's death.

A partner answers 500 to everything. Ten deliveries fail their first attempt,
are written to the pending topic, and the outbox offsets move on (retries
waiting must not hold the outbox). The adapter is SIGKILLed mid-retry; the
partner recovers; a restarted adapter delivers every one of them with the
SAME webhook-id and body bytes as the failed attempts. Then SIGTERM while
attempts are in flight: a clean exit, and again nothing is lost.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_harness as h  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from webhook_receiver import (Certificates, Receiver, new_secret, outbox_record, signature_problems,  # noqa: E402
                              wait_for, write_partner)

NAME = "e2e_webhooks_crash"
OUTBOX = "crp.partners.outbox"
PENDING = "crp.partners.pending"
GROUP = "crp-adapter-webhooks"


def committed(bootstrap, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False})
    try:
        return {tp.partition: tp.offset for tp in c.committed([TopicPartition(OUTBOX, p) for p in partitions],
                                                              timeout=10)}
    finally:
        c.close()


def pending_now(bootstrap):
    """Latest value per key of the pending topic (None: tombstone)."""
    latest = {}
    for r in h.read_committed(bootstrap, [PENDING]):
        latest[r["key"]] = r["value"] or None
    return latest


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args, start=False) as t:
        broker, check, work = t.broker, t.check, t.work
        certs = Certificates(work / "certs")
        rx_port = h.free_ports()
        rx = Receiver(rx_port, *certs.good).start()
        t.cleanups.append(rx.stop)
        failing = [True]
        rx.behave("/retry", lambda n, wid: 500 if failing[0] else 200)
        secret = new_secret()
        write_partner(work / "partners", "retry", f"https://localhost:{rx_port}/retry", certs.ca, secret,
                      schedule_ms=[1500] * 30, timeout_ms=1000)
        broker.start()
        broker.create_topics(3)
        config = t.config({"create_topics": True, "commit_interval_ms": 100}, "config.json",
                          webhooks={"partners": str(work / "partners")})
        adapter = t.adapter(config)

        challenges = [f"E2E-K-{i}" for i in range(10)]
        h.produce(broker.bootstrap, [outbox_record(c, 1) for c in challenges])
        ids = {f"msg_{c}_1_retry" for c in challenges}

        def failed_ids():
            return {r.webhook_id for r in rx.received("/retry") if r.outcome == "500"}

        check(wait_for(lambda: ids <= failed_ids(), 30, "first attempts", adapter),
              "all 10 deliveries were attempted and failed with 500")
        end = h.end_offsets(broker.bootstrap, OUTBOX)
        moved = wait_for(lambda: all(committed(broker.bootstrap, end).get(p, -1) >= e for p, e in end.items()
                                     if e > 0), 20, "outbox commit", adapter, every=0.3)
        check(moved, f"the outbox offsets were committed past the failed deliveries (end {end}): "
                     "retries wait in the pending topic, not on the outbox")
        want_pending = {f"retry/{w}" for w in ids}
        pending = h.eventually(lambda: pending_now(broker.bootstrap),
                               lambda p: {k for k, v in p.items() if v} == want_pending, 20, adapter, every=0.5,
                               name=NAME)
        check({k for k, v in pending.items() if v} == want_pending,
              f"the pending topic holds all 10 deliveries ({len([v for v in pending.values() if v])} found)")
        before = {r.webhook_id: r.body for r in rx.received("/retry")}

        # The SIGKILL lands mid-retry: still running, every delivery pending, none delivered.
        check(not rx.received("/retry", accepted_only=True) and adapter.kill(),
              "the SIGKILL ended a running adapter with no delivery accepted yet")
        t.say("adapter SIGKILLed mid-retry")
        failing[0] = False
        adapter.start()
        check(wait_for(lambda: ids <= {r.webhook_id for r in rx.received("/retry", accepted_only=True)}, 40,
                       "delivery after restart", adapter),
              "after the restart all 10 deliveries arrived")
        # ... because the restarted instance restored them from the pending topic.
        restored = [l for l in h.current_run(adapter.log_lines()) if l.get("message") == "pending deliveries restored"]
        check(len(restored) >= 1 and sum(int(l.get("deliveries", 0)) for l in restored) >= len(ids),
              f"the restarted instance restored the pending deliveries "
              f"({[l.get('deliveries') for l in restored]} of {len(ids)})")
        accepted = rx.received("/retry", accepted_only=True)
        check(all(r.body == before.get(r.webhook_id) for r in accepted),
              "each was delivered with the same webhook-id and the same body bytes as its failed attempts")
        check(wait_for(lambda: not any(pending_now(broker.bootstrap).values()), 20, "tombstones", adapter,
                       every=0.5), "delivered deliveries were removed from the pending topic (tombstones)")

        # SIGTERM while attempts are in flight (the partner hangs for longer than the timeout).
        rx.behave("/retry", lambda n, wid: ("stall", 3) if failing[0] else 200)
        failing[0] = True
        more = [f"E2E-T-{i}" for i in range(3)]
        h.produce(broker.bootstrap, [outbox_record(c, 1) for c in more])
        more_ids = {f"msg_{c}_1_retry" for c in more}
        check(wait_for(lambda: more_ids <= {r.webhook_id for r in rx.received("/retry")}, 20, "in flight", adapter),
              "three more deliveries in flight")
        started = time.monotonic()
        code = adapter.stop(timeout=60)
        check(code == 0, f"SIGTERM with attempts in flight: exit 0 (got {code}) in "
                         f"{time.monotonic() - started:.1f} s")
        failing[0] = False
        adapter.start()
        check(wait_for(lambda: more_ids <= {r.webhook_id for r in rx.received("/retry", accepted_only=True)}, 40,
                       "delivery after SIGTERM", adapter),
              "after SIGTERM and a restart the three deliveries arrived")
        problems = signature_problems(rx.received(), secret)
        check(not problems, f"standardwebhooks verified all {len(rx.received())} signatures ({problems[:2]})")
        code = adapter.stop(timeout=60)
        check(code == 0, f"final SIGTERM: exit {code}")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
