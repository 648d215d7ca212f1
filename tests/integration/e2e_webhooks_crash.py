#!/usr/bin/env python3
"""End to end: webhook retries survive the adapter's death.

A partner answers 500 to everything. Ten deliveries fail their first attempt,
are written to the pending topic, and the outbox offsets move on (retries
waiting must not hold the outbox). The adapter is SIGKILLed mid-retry; the
partner recovers; a restarted adapter delivers every one of them with the
SAME webhook-id and body bytes as the failed attempts. Then SIGTERM while
attempts are in flight: a clean exit, and again nothing is lost.
"""
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from e2e_harness import (Adapter, Broker, Checks, arguments, end_offsets, eventually, produce,  # noqa: E402
                         read_committed, say, write_config)
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
    for r in read_committed(bootstrap, [PENDING]):
        latest[r["key"]] = r["value"] or None
    return latest


def main():
    args = arguments(__doc__, 18120).parse_args()
    port = args.port
    work = Path(tempfile.mkdtemp(prefix="crp-e2e-webhooks-crash-"))
    broker = Broker(port)
    check = Checks(NAME)
    rx, adapter = None, None
    try:
        certs = Certificates(work / "certs")
        rx = Receiver(port + 5, *certs.good).start()
        failing = [True]
        rx.behave("/retry", lambda n, wid: 500 if failing[0] else 200)
        secret = new_secret()
        write_partner(work / "partners", "retry", f"https://localhost:{port + 5}/retry", certs.ca, secret,
                      schedule_ms=[1500] * 30, timeout_ms=1000)
        broker.start()
        broker.create_topics(3)
        config = write_config(work / "config.json", broker.bootstrap,
                              {"create_topics": True, "commit_interval_ms": 100},
                              webhooks={"partners": str(work / "partners")})
        adapter = Adapter(args.adapter, config, work / "adapter.log").start()

        challenges = [f"E2E-K-{i}" for i in range(10)]
        produce(broker.bootstrap, [outbox_record(c, 1) for c in challenges])
        ids = {f"msg_{c}_1_retry" for c in challenges}

        def failed_ids():
            return {r.webhook_id for r in rx.received("/retry") if r.outcome == "500"}

        check(wait_for(lambda: ids <= failed_ids(), 30, "first attempts", adapter),
              "all 10 deliveries were attempted and failed with 500")
        end = end_offsets(broker.bootstrap, OUTBOX)
        moved = wait_for(lambda: all(committed(broker.bootstrap, end).get(p, -1) >= e for p, e in end.items()
                                     if e > 0), 20, "outbox commit", adapter, every=0.3)
        check(moved, f"the outbox offsets were committed past the failed deliveries (end {end}): "
                     "retries wait in the pending topic, not on the outbox")
        want_pending = {f"retry/{w}" for w in ids}
        pending = eventually(lambda: pending_now(broker.bootstrap),
                             lambda p: {k for k, v in p.items() if v} == want_pending, 20, adapter, every=0.5,
                             name=NAME)
        check({k for k, v in pending.items() if v} == want_pending,
              f"the pending topic holds all 10 deliveries ({len([v for v in pending.values() if v])} found)")
        before = {r.webhook_id: r.body for r in rx.received("/retry")}

        adapter.kill()
        say(NAME, "adapter SIGKILLed mid-retry")
        failing[0] = False
        adapter.start()
        check(wait_for(lambda: ids <= {r.webhook_id for r in rx.received("/retry", accepted_only=True)}, 40,
                       "delivery after restart", adapter),
              "after the restart all 10 deliveries arrived")
        accepted = rx.received("/retry", accepted_only=True)
        check(all(r.body == before.get(r.webhook_id) for r in accepted),
              "each was delivered with the same webhook-id and the same body bytes as its failed attempts")
        check(wait_for(lambda: not any(pending_now(broker.bootstrap).values()), 20, "tombstones", adapter,
                       every=0.5), "delivered deliveries were removed from the pending topic (tombstones)")

        # SIGTERM while attempts are in flight (the partner hangs for longer than the timeout).
        rx.behave("/retry", lambda n, wid: ("stall", 3) if failing[0] else 200)
        failing[0] = True
        more = [f"E2E-T-{i}" for i in range(3)]
        produce(broker.bootstrap, [outbox_record(c, 1) for c in more])
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
        check(code == 0, f"final SIGTERM: exit 0 (got {code})")
    finally:
        if rx:
            rx.stop()
        if adapter is not None and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(NAME, f"kept {work}")
    if check.failures:
        raise SystemExit(f"{NAME}: FAILED: {check.failures}")
    say(NAME, "PASSED")


if __name__ == "__main__":
    main()
