#!/usr/bin/env python3
"""End to end: partner webhooks from `crp-adapter run` to real HTTPS receivers.

One broker, one adapter, six partners, each with its own behaviour:
  ok        always 200: delivery, signatures (verified by the independent
            `standardwebhooks` package), allowlist (no child's name, no case id
            in the bytes received), and its latency while `down` is down;
  flaky     500, then a connection reset, then a stalled response (timeout),
            then 503 with Retry-After: 2, then 200, for every delivery;
  reject    400 -> DLQ with status and reason; then `webhooks redeliver`
            delivers it again with its original webhook-id;
  gone      410 Gone -> the partner is disabled: a partner.disabled event
            on crp.operations, its deliveries dead-lettered, no more calls;
  down      hangs every request for ~8 s (a long outage, the retry schedule
            scaled to seconds), then recovers: every delivery arrives, in
            order per challenge, none lost;
  badcert   a certificate from a CA the adapter does not trust;
  badhost   a certificate for another host name.
"""
import json
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_harness import (E2E, INPUT, arguments, eventually, free_ports, log_errors, produce,  # noqa: E402
                         read_committed, run_replay, say, write_config)
from webhook_receiver import (Certificates, Receiver, new_secret, outbox_record, signature_problems,  # noqa: E402
                              wait_for, write_partner)

NAME = "e2e_webhooks_delivery"
CHILD = "Zebedee Quxworth"  # a child's name given in contacts: must reach no partner
CHALLENGES = [f"E2E-W-{i}" for i in range(6)]
PER_CHALLENGE = 5
OUTAGE_S = 8.0
# If partner down's hanging attempts (0.7 s timeout each) held partner ok back, its
# 30 deliveries would take 20 s and more; these bounds leave room for a loaded machine.
B_LATENCY_BOUND_S = 2.5
B_MEDIAN_BOUND_S = 1.0


def main():
    args = arguments(__doc__).parse_args()
    with E2E(NAME, args, start=False) as t:
        work, broker, check = t.work, t.broker, t.check
        rx_port = free_ports(4)
        certs = Certificates(work / "certs")
        main_rx = Receiver(rx_port, *certs.good).start()
        t.cleanups.append(main_rx.stop)
        badcert_rx = Receiver(rx_port + 1, *certs.wrong_ca).start()
        t.cleanups.append(badcert_rx.stop)
        badhost_rx = Receiver(rx_port + 2, *certs.wrong_host).start()
        t.cleanups.append(badhost_rx.stop)
        down_rx = Receiver(rx_port + 3, *certs.good).start()
        t.cleanups.append(down_rx.stop)

        outage_until = [float("inf")]
        down_rx.behave("/down", lambda n, wid: ("stall", 4) if time.monotonic() < outage_until[0] else 200)
        flaky_script = {1: 500, 2: "reset", 3: ("stall", 2.5), 4: (503, {"Retry-After": "2"}, "busy")}
        main_rx.behave("/flaky", lambda n, wid: flaky_script.get(n, 200))
        main_rx.close_after.add("/flaky")
        rejecting = [True]
        main_rx.behave("/reject", lambda n, wid: (400, {}, "missing field: stage") if rejecting[0] else 200)
        main_rx.behave("/gone", lambda n, wid: (410, {}, "this endpoint was retired"))

        partners_dir = work / "partners"
        secrets = {p: new_secret() for p in ("ok", "flaky", "reject", "gone", "down", "badcert", "badhost")}
        url = f"https://localhost:{rx_port}"
        bradford = {"protocols": ["bradford"]}
        write_partner(partners_dir, "ok", f"{url}/ok", certs.ca, secrets["ok"], subscription=bradford)
        write_partner(partners_dir, "flaky", f"{url}/flaky", certs.ca, secrets["flaky"], timeout_ms=800,
                      schedule_ms=[100] * 6, subscription={"protocols": ["walsall"]})
        write_partner(partners_dir, "reject", f"{url}/reject", certs.ca, secrets["reject"],
                      subscription={"protocols": ["calderdale"]})
        write_partner(partners_dir, "gone", f"{url}/gone", certs.ca, secrets["gone"],
                      subscription={"protocols": ["calderdale"]})
        # Retries every 0.5 s for ~20 s: the outage (8 s) is scaled down from hours.
        write_partner(partners_dir, "down", f"https://localhost:{rx_port + 3}/down", certs.ca, secrets["down"],
                      timeout_ms=700, schedule_ms=[500] * 40, failures_to_open=3, open_for_ms=1000,
                      subscription=bradford)
        write_partner(partners_dir, "badcert", f"https://localhost:{rx_port + 1}/x", certs.ca, secrets["badcert"],
                      schedule_ms=[100, 100], subscription={"protocols": ["iro-cp-lac"]})
        write_partner(partners_dir, "badhost", f"https://localhost:{rx_port + 2}/x", certs.ca, secrets["badhost"],
                      schedule_ms=[100, 100], subscription={"protocols": ["iro-cp-lac"]})

        broker.start()
        broker.create_topics(3)
        config = write_config(work / "config.json", broker.bootstrap,
                              {"create_topics": True, "commit_interval_ms": 100},
                              webhooks={"partners": str(partners_dir)})
        adapter = t.adapter(config)

        # 1. The engine's own partner decision, from a challenge.raised naming a child.
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        raised = {"type": "challenge.raised", "event_id": "E2E-W-raised-1", "occurred_at": now,
                  "challenge_id": "E2E-W-raised", "case_id": "LCS-E2E-SECRET-CASE", "protocol": "bradford",
                  "stage": "stage5", "immediate_risk": True, "agency": "childrens_social_care",
                  "contacts": {"child": {"name": CHILD}, "social_worker": {"name": "A Worker",
                                                                          "email": "sw@authority.example"}}}
        produce(broker.bootstrap, [{"topic": INPUT, "key": "E2E-W-raised", "value": raised}])

        # It reached ok (the dispatcher is up: latencies below exclude start-up).
        check(wait_for(lambda: any("E2E-W-raised" in (r.webhook_id or "") for r in
                                   main_rx.received("/ok", accepted_only=True)), 60, "engine delivery", adapter),
              "the engine's partner decision (challenge.raised at stage 5) was delivered to ok")

        # Replay prints the same call (webhook:<partner-id> lines), body for body.
        lines = run_replay(args.adapter, config, [{"topic": INPUT, "key": "E2E-W-raised", "value": raised}], None,
                           work)
        replayed = [l["value"] for l in lines if l["topic"] == "webhook:ok"]
        live = [json.loads(r.body) for r in main_rx.received("/ok", accepted_only=True)
                if "E2E-W-raised" in r.webhook_id]
        def timeless(body):  # the live service decides at wall time, replay at event time
            body = dict(body, data={k: v for k, v in body["data"].items() if k not in ("occurred_at", "due_at")})
            body.pop("time", None)
            return body

        same = len(replayed) == 1 and live and timeless(live[0]) == timeless(replayed[0])
        check(same, "replay prints a webhook:ok line whose value is the body partner ok received (times aside)")
        if not same:
            say(NAME, f"replayed {replayed[:1]} live {live[:1]}")
        calls = {l["topic"] for l in lines if l["topic"].startswith("webhook:")}
        check(calls == {"webhook:ok", "webhook:down"},
              f"replay prints calls for the subscribed partners only, ok and down ({sorted(calls)})")

        # 2. Partner decisions straight onto the outbox, 5 per challenge, in order.
        produced_at = {}
        records = []
        for seq in range(1, PER_CHALLENGE + 1):
            for c in CHALLENGES:
                records.append(outbox_record(c, seq))
        for proto, c in (("walsall", "E2E-W-flaky-1"), ("walsall", "E2E-W-flaky-2"), ("calderdale", "E2E-W-rej-1"),
                         ("calderdale", "E2E-W-rej-2"), ("iro-cp-lac", "E2E-W-tls-1")):
            r = outbox_record(c, 1)
            r["value"]["protocol"] = proto
            records.append(r)
        t0 = time.monotonic()
        produce(broker.bootstrap, records)
        for r in records:
            produced_at[r["value"]["delivery_id"]] = t0

        ok_ids = {f"msg_{c}_{s}_ok" for c in CHALLENGES for s in range(1, PER_CHALLENGE + 1)}

        def accepted_ids(rx, path):
            return {r.webhook_id for r in rx.received(path, accepted_only=True)}

        got = wait_for(lambda: ok_ids <= accepted_ids(main_rx, "/ok"), 30, "ok deliveries", adapter)
        check(got, f"partner ok received all {len(ok_ids)} outbox deliveries while partner down is down")
        first_ok = {}
        for r in main_rx.received("/ok", accepted_only=True):
            first_ok.setdefault(r.webhook_id, r.at)
        latencies = sorted(first_ok[w] - t0 for w in ok_ids if w in first_ok)
        worst = latencies[-1] if latencies else float("inf")
        down_attempts_meanwhile = len(down_rx.received("/down"))
        say(NAME, f"partner ok latency during the outage: max {worst:.3f} s, median "
                  f"{latencies[len(latencies) // 2] if latencies else 0:.3f} s; partner down attempts meanwhile: "
                  f"{down_attempts_meanwhile}")
        median = latencies[len(latencies) // 2] if latencies else float("inf")
        check(worst <= B_LATENCY_BOUND_S and median <= B_MEDIAN_BOUND_S,
              f"partner ok: every delivery within {B_LATENCY_BOUND_S} s (median within {B_MEDIAN_BOUND_S} s) of "
              f"being written to the outbox while partner down hangs (max {worst:.3f} s, median {median:.3f} s)")
        check(down_attempts_meanwhile > 0, "partner down was being attempted meanwhile (it hangs)")


        # 3. Retries: 500, reset, timeout, 503 + Retry-After, then 200, same webhook-id throughout.
        flaky_ids = {"msg_E2E-W-flaky-1_1_flaky", "msg_E2E-W-flaky-2_1_flaky"}
        check(wait_for(lambda: flaky_ids <= accepted_ids(main_rx, "/flaky"), 40, "flaky", adapter),
              "flaky: both deliveries arrived after 500, reset, timeout and 503")
        for wid in sorted(flaky_ids):
            tries = [r for r in main_rx.received("/flaky") if r.webhook_id == wid]
            outcomes = [r.outcome for r in tries]
            check(outcomes[:5] == ["500", "reset", "stall", "503", "200"],
                  f"flaky {wid}: attempts went 500, reset, timeout, 503, 200 (got {outcomes})")
            seen = [l.get("error") for l in adapter.log_lines()
                    if l.get("message") == "webhook attempt failed; retry scheduled" and l.get("webhook_id") == wid]
            # (An extra timeout before them is a first handshake slower than the
            # timeout on a loaded machine: the receiver never saw that request.)
            check(seen[-4:] == ["HTTP 500", "connection reset", "timeout", "HTTP 503"],
                  f"flaky {wid}: the adapter saw 500, a connection reset, a timeout, 503 (logged {seen})")
            if len(tries) >= 5:
                gap = tries[4].at - tries[3].at
                check(gap >= 1.9, f"flaky {wid}: Retry-After: 2 honoured over a 100 ms schedule ({gap:.2f} s)")

        # 4. TLS: untrusted CA and wrong host name refused, nothing accepted, dead-lettered.
        def dlq_records():
            return [r for r in read_committed(broker.bootstrap, ["crp.dlq"])
                    if r["headers"].get("__connect.errors.exception.class.name") == "crp.WebhookDeliveryFailed"]

        def dlq_for(partner):
            return [r for r in dlq_records() if r["headers"].get("crp.webhook.partner") == partner]

        check(wait_for(lambda: dlq_for("badcert") and dlq_for("badhost"), 30, "TLS DLQ", adapter, every=0.5),
              "badcert and badhost deliveries were dead-lettered after their retries")
        check(not badcert_rx.received() and badcert_rx.handshake_failures >= 3,
              f"badcert: no request accepted; {badcert_rx.handshake_failures} handshakes refused by the adapter")
        check(not badhost_rx.received() and badhost_rx.handshake_failures >= 3,
              f"badhost: no request accepted; {badhost_rx.handshake_failures} handshakes refused by the adapter")
        for p in ("badcert", "badhost"):
            for r in dlq_for(p)[:1]:
                say(NAME, f"{p} DLQ reason: {r['headers'].get('__connect.errors.exception.message')}")

        # 5. 400 -> DLQ with status and reason; then redeliver with the original ids.
        reject_ids = {"msg_E2E-W-rej-1_1_reject", "msg_E2E-W-rej-2_1_reject"}
        check(wait_for(lambda: {r["headers"].get("crp.webhook.id") for r in dlq_for("reject")} >= reject_ids, 20,
                       "reject DLQ", adapter, every=0.5), "400: both deliveries dead-lettered")
        rej = dlq_for("reject")
        messages = [r["headers"].get("__connect.errors.exception.message", "") for r in rej]
        check(all("HTTP 400" in m and "missing field: stage" in m for m in messages),
              f"400: DLQ message has the status and the partner's reason ({messages[:1]})")
        check(len([r for r in main_rx.received("/reject")]) == 2, "400: not retried (one attempt each)")
        values = [json.loads(r["value"]) for r in rej]
        check(all(v.get("webhook_id") in reject_ids and v.get("body") for v in values),
              "400: the DLQ value is the delivery itself (webhook id and body), ready to redeliver")

        rejecting[0] = False
        done = subprocess.run([args.adapter, "webhooks", "redeliver", "--config", config, "--partner", "reject"],
                              capture_output=True, text=True, timeout=120)
        say(NAME, f"redeliver: exit {done.returncode}: {done.stdout.strip()} {done.stderr.strip()[-500:]}")
        check(done.returncode == 0, "webhooks redeliver exited 0")
        check(wait_for(lambda: reject_ids <= accepted_ids(main_rx, "/reject"), 20, "redelivery", adapter),
              "redeliver: both dead-lettered deliveries arrived with their ORIGINAL webhook-ids")

        # 5b. 410 Gone: the partner is disabled, said on crp.operations, its
        # deliveries dead-lettered (redeliverable once it is back), no more calls.
        gone_ids = {"msg_E2E-W-rej-1_1_gone", "msg_E2E-W-rej-2_1_gone"}
        check(wait_for(lambda: {r["headers"].get("crp.webhook.id") for r in dlq_for("gone")} >= gone_ids, 20,
                       "gone DLQ", adapter, every=0.5), "410: both deliveries of partner gone dead-lettered")
        gone_messages = [r["headers"].get("__connect.errors.exception.message", "") for r in dlq_for("gone")]
        check(all("410" in m or "disabled" in m for m in gone_messages),
              f"410: the DLQ message says why ({gone_messages[:2]})")
        # Written by the dispatcher's producer apart from the dead letters: awaited, not read once.
        def disabled_events():
            return [e for e in (json.loads(r["value"]) for r in read_committed(broker.bootstrap, ["crp.operations"]))
                    if e.get("type") == "uk.gov.crp.partner.disabled"]

        disabled = eventually(disabled_events, bool, 20, adapter, every=0.5, name=NAME)
        check(len(disabled) == 1 and disabled[0].get("subject") == "gone"
              and disabled[0].get("data", {}).get("status") == 410,
              f"410: one partner.disabled CloudEvent for gone on crp.operations ({disabled})")
        calls = len(main_rx.received("/gone"))
        check(1 <= calls <= 2, f"410: not retried, no call after the partner was disabled ({calls} calls)")

        # 6. The long outage ends: every delivery of partner down arrives, in order per challenge.
        remaining = OUTAGE_S - (time.monotonic() - t0)
        if remaining > 0:
            time.sleep(remaining)  # the outage is a duration under test, not a synchronisation
        outage_until[0] = time.monotonic()
        down_ids = {w.replace("_ok", "_down") for w in ok_ids}
        check(wait_for(lambda: down_ids <= accepted_ids(down_rx, "/down"), 60, "down recovery", adapter),
              f"after the outage partner down received all {len(down_ids)} deliveries (none lost)")
        first = {}
        for r in down_rx.received("/down", accepted_only=True):
            first.setdefault(r.webhook_id, r.at)
        in_order = True
        for c in CHALLENGES:
            ids = [f"msg_{c}_{s}_down" for s in range(1, PER_CHALLENGE + 1)]
            times = [first.get(w) for w in ids]
            if None in times or times != sorted(times):
                in_order = False
                say(NAME, f"order for {c}: {times}")
        check(in_order, "after the outage: deliveries arrived in order per challenge")
        attempts_during = [r for r in down_rx.received("/down") if r.outcome == "stall"]
        check(len(attempts_during) >= 6, f"partner down was retried during the outage ({len(attempts_during)} "
                                         f"attempts hung)")
        opened = [l.get("partner") for l in adapter.log_lines() if l.get("message") == "partner circuit opened"]
        check("down" in opened,
              f"the circuit breaker opened for partner down (opened for {sorted(set(opened))})")

        # 7. Signatures (standardwebhooks) and the allowlist, on the raw bytes received.
        all_requests = main_rx.received() + down_rx.received()
        by_partner = defaultdict(list)
        for r in main_rx.received():
            by_partner[r.path.strip("/")].append(r)
        by_partner["down"] = down_rx.received()
        bad = []
        for p, reqs in by_partner.items():
            bad += signature_problems(reqs, secrets[p])
        check(not bad and len(all_requests) > 0,
              f"standardwebhooks verified all {len(all_requests)} requests' signatures ({bad[:2]})")
        leaked = [r.webhook_id for r in all_requests if CHILD.encode() in r.body or b"Zebedee" in r.body
                  or b"LCS-E2E-SECRET-CASE" in r.body or b"A Worker" in r.body]
        check(not leaked, "no child's name, contact name or case id in any body received (raw bytes)")
        check(all(set(json.loads(r.body)["data"]) <= {"type", "challenge_id", "protocol", "stage", "stage_label",
                                                      "occurred_at", "due_at"} for r in all_requests),
              "every body's data holds only allowlisted fields")
        check(all(json.loads(r.body)["id"] == r.webhook_id for r in all_requests),
              "every body's CloudEvent id is its webhook-id")

        # 8. SIGTERM: a clean exit.
        code = adapter.stop(timeout=60)
        check(code == 0, f"adapter exited 0 on SIGTERM (got {code})")
        errors = [e for e in log_errors(adapter) if e.get("message") not in (
            "webhook delivery dead-lettered",
            "partner disabled: its endpoint answered 410 Gone; its deliveries are dead-lettered")]
        check(not errors, f"no unexpected error in the adapter log ({errors[:2]})")
        text = (work / "adapter.log").read_text()
        check(CHILD not in text and "Zebedee" not in text, "the child's name never appears in the adapter log")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
