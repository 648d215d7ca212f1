#!/usr/bin/env python3
"""The service's threads all busy at once, for ThreadSanitizer (docs/decisions/0029).

`crp-adapter run` on a real broker with partner webhooks and the admin server,
while at the same time:
  * the Kafka loop processes a stream of challenges raised at Bradford's
    stage 5 (immediate risk), each a partner decision on the outbox;
  * the webhook dispatcher thread delivers them over HTTPS to two partners:
    `ok` (always 200) and `flaky` (500 on every first attempt, so every
    delivery also goes through the pending topic and a retry);
  * a client scrapes /metrics and /v1/challenges without pause: the admin
    server, on the loop's thread, renders the metrics the dispatcher thread
    writes, and the engines' views.
Checks: every decision reaches both partners; /metrics' webhook counters equal
what the receivers accepted; /v1 answers throughout; a clean SIGTERM stop and
no error log lines. Under TSan (halt_on_error) any race ends the adapter and
tests/sanitizers/run_checked.sh fails the test on the report.
"""
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import e2e_harness as h  # noqa: E402
from e2e_admin import Admin, metrics, total  # noqa: E402
from webhook_receiver import Certificates, Receiver, new_secret, wait_for, write_partner  # noqa: E402

NAME = "e2e_concurrent_threads"
TOKEN = "e2e-threads-token-0c4b1d7e2f"
CHALLENGES = 40


def raised(i):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    cid = f"THR-{i:03d}"
    return {"topic": h.INPUT, "key": cid, "headers": {},
            "value": {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": now,
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": "bradford", "stage": "stage5",
                      "immediate_risk": True, "agency": "childrens_social_care",
                      "contacts": {"social_worker": {"name": "A Worker", "email": "sw@authority.example"}}}}


def accepted_ids(rx, path):
    return {r.webhook_id for r in rx.received(path, accepted_only=True)}


def main():
    args = h.arguments(__doc__).parse_args()
    scraping = threading.Event()
    scrapes, scrape_errors = [0], []
    with h.E2E(NAME, args, start=False) as t:
        work, broker, check = t.work, t.broker, t.check
        t.cleanups.append(scraping.set)
        certs = Certificates(work / "certs")
        rx_port = h.free_ports()
        rx = Receiver(rx_port, *certs.good).start()
        t.cleanups.append(rx.stop)
        rx.behave("/flaky", lambda n, wid: 500 if n == 1 else 200)
        partners = work / "partners"
        bradford = {"protocols": ["bradford"]}
        write_partner(partners, "ok", f"https://localhost:{rx_port}/ok", certs.ca, new_secret(),
                      subscription=bradford)
        write_partner(partners, "flaky", f"https://localhost:{rx_port}/flaky", certs.ca, new_secret(),
                      schedule_ms=[100] * 5, subscription=bradford)
        token_file = work / "admin-token"
        token_file.write_text(TOKEN + "\n")

        broker.start()
        broker.create_topics(3)
        config = t.config({"create_topics": True, "commit_interval_ms": 100},
                          admin={"bind": "127.0.0.1:0", "token_file": str(token_file), "rate_limit_per_s": 100000},
                          webhooks={"partners": str(partners)})
        adapter = t.adapter(config, instance="threads")
        admin = Admin(h.admin_port(adapter, name=NAME))

        def scrape():  # the admin server's side, for as long as the deliveries go on
            while not scraping.is_set():
                try:
                    for path, token, fine in (("/metrics", None, {200}), ("/v1/challenges?overdue=true", TOKEN, {200}),
                                              ("/v1/challenges/THR-000", TOKEN, {200, 404})):
                        status, _, _ = admin.get(path, token=token)
                        if status not in fine:
                            scrape_errors.append(f"{path}: {status}")
                    scrapes[0] += 1
                except Exception as e:  # noqa: BLE001 (reported as a check below)
                    scrape_errors.append(repr(e))
                    return

        scraper = threading.Thread(target=scrape, daemon=True)
        scraper.start()
        wait_for(lambda: scrapes[0] >= 1 or scrape_errors, 60, "first scrape", adapter)
        h.produce(broker.bootstrap, [raised(i) for i in range(CHALLENGES)])

        want = CHALLENGES
        done = wait_for(lambda: len(accepted_ids(rx, "/ok")) >= want and len(accepted_ids(rx, "/flaky")) >= want,
                        180, "deliveries", adapter)
        scraping.set()
        scraper.join(30)
        ok_ids, flaky_ids = accepted_ids(rx, "/ok"), accepted_ids(rx, "/flaky")
        check(done and len(ok_ids) == want and len(flaky_ids) == want,
              f"every decision delivered to both partners (ok {len(ok_ids)}, flaky {len(flaky_ids)} of {want})")
        check(scrapes[0] >= 2 and not scrape_errors,
              f"/metrics and /v1 answered 200 throughout ({scrapes[0]} rounds, errors {scrape_errors[:3]})")

        # The dispatcher counts a delivery once it has read the answer, which the
        # receiver has already recorded: the counters are awaited, not read once,
        # and compared with what the receivers had accepted in the same round.
        def read():
            return (metrics(admin), len(rx.received("/ok", accepted_only=True)),
                    len(rx.received("/flaky", accepted_only=True)))

        def counted(got):
            m, accepted_ok, accepted_flaky = got
            return (total(m, "crp_webhook_delivered_total", partner="ok") == accepted_ok
                    and total(m, "crp_webhook_delivered_total", partner="flaky") == accepted_flaky
                    and total(m, "crp_webhook_failures_total", partner="flaky") >= want
                    and total(m, "crp_records_in_total", topic=h.INPUT) == CHALLENGES)

        m, accepted_ok, accepted_flaky = h.eventually(read, counted, 30, adapter, name=NAME)
        delivered_ok = total(m, "crp_webhook_delivered_total", partner="ok")
        delivered_flaky = total(m, "crp_webhook_delivered_total", partner="flaky")
        failed_flaky = total(m, "crp_webhook_failures_total", partner="flaky")
        check(delivered_ok == accepted_ok and delivered_flaky == accepted_flaky,
              f"delivered counters equal what the receivers accepted (ok {delivered_ok} of {accepted_ok}, "
              f"flaky {delivered_flaky} of {accepted_flaky}, within 30 s)")
        check(failed_flaky >= want, f"flaky's first attempts counted as failures ({failed_flaky})")
        check(total(m, "crp_records_in_total", topic=h.INPUT) == CHALLENGES, "every input record counted")

        check(adapter.stop() == 0, "clean stop")
        check(not h.log_errors(adapter), "no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
