#!/usr/bin/env python3
"""End to end: a partner agency's professional, as Calderdale's process reaches them.

A Calderdale practice dispute about a police professional ("Police Public
Protection Unit", as the case system writes it) is raised informally; the
professional's own address arrives later, on the response; the response is
not accepted, so the formal process starts at Stage 1 ("a copy sent by email
to supervising manager with the professional CC'd"). Checked on a real broker
with `crp-adapter run`:
  * the police partner (subscribed by agency code, not by text) receives the
    Stage 1 webhook, its signature verified by the independent
    `standardwebhooks` package, with no case id and no name in the body;
  * the police mailboxes are written to, the later contact wins for the
    professional, and no partner role reaches a council mailbox;
  * every step is a case note on the child's file: the informal stage, the
    response with its date returned, the escalation and Stage 1;
  * the professional's name, given with the contact, is in no output and no log;
  * the intake counts an agency text no alias matches (crp_agency_unmapped_total).
"""
import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_harness import (E2E, INPUT, admin_port, arguments, eventually, free_ports, log_errors,  # noqa: E402
                         produce, read_committed, say, write_config)
from webhook_receiver import (Certificates, Receiver, new_secret, signature_problems, wait_for,  # noqa: E402
                              write_partner)

NAME = "e2e_partner_agency"
CID = "E2E-PA-1"
CASE = "CASS-E2E-PA-SECRET"
OFFICER = "Quentin Zoltan-Officer"  # a name given with the contact: must go nowhere
CONTACT = "pc.4411@police.example"
COUNCIL_DEFAULTS = ("team.managers@authority.example", "social.work.duty@authority.example")


def metric(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    args = arguments(__doc__).parse_args()
    with E2E(NAME, args, start=False) as t:
        work, broker, check = t.work, t.broker, t.check
        rx_port = free_ports()
        certs = Certificates(work / "certs")
        rx = Receiver(rx_port, *certs.good).start()
        t.cleanups.append(rx.stop)
        partners = work / "partners"
        secret = new_secret()
        write_partner(partners, "police", f"https://localhost:{rx_port}/police", certs.ca, secret,
                      subscription={"agencies": ["police"]},
                      allowed=["type", "challenge_id", "protocol", "agency", "stage", "stage_label",
                               "occurred_at", "due_at"])

        broker.start()
        broker.create_topics(3)
        config = write_config(work / "config.json", broker.bootstrap,
                              {"create_topics": True, "commit_interval_ms": 100},
                              webhooks={"partners": str(partners)})
        adapter = t.adapter(config)
        admin = admin_port(adapter, name=NAME)

        now = datetime.now(timezone.utc)
        at = lambda s: (now + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        base = {"challenge_id": CID, "case_id": CASE, "protocol": "calderdale"}
        events = [
            dict(base, type="challenge.raised", event_id="pa-1", occurred_at=at(0), stage="informal",
                 agency="Police Public Protection Unit",
                 respond_by=(now + timedelta(days=7)).strftime("%Y-%m-%d")),
            dict(base, type="challenge.response_received", event_id="pa-2", occurred_at=at(1),
                 contacts={"professional": {"name": OFFICER, "email": CONTACT}}),
            dict(base, type="challenge.response_rejected", event_id="pa-3", occurred_at=at(2)),
            # Another dispute, with an agency text no alias matches.
            {"type": "challenge.raised", "event_id": "pa-4", "occurred_at": at(3), "challenge_id": "E2E-PA-2",
             "case_id": "CASS-E2E-PA-2", "protocol": "calderdale", "stage": "informal",
             "agency": "Polise Protecshun Unit",
             "respond_by": (now + timedelta(days=7)).strftime("%Y-%m-%d")},
        ]
        produce(broker.bootstrap, [{"topic": INPUT, "key": e["challenge_id"], "value": e} for e in events])

        # 1. The police partner hears of Stage 1, signed.
        def stage1_hooks():
            return [r for r in rx.received("/police", accepted_only=True)
                    if json.loads(r.body)["data"].get("stage") == "stage1"]
        check(wait_for(lambda: stage1_hooks(), 90, "police webhook", adapter),
              "the police partner (subscribed by agency code) received the Stage 1 webhook")
        hooks = rx.received("/police", accepted_only=True)
        check(not signature_problems(hooks, secret),
              f"standardwebhooks verified all {len(hooks)} police webhooks")
        data = json.loads(stage1_hooks()[0].body)["data"]
        check(data.get("agency") == "police" and data.get("challenge_id") == CID,
              f"the webhook names the agency by its code ({data})")
        raw = b"".join(r.body for r in hooks)
        check(CASE.encode() not in raw and OFFICER.encode() not in raw and CONTACT.encode() not in raw,
              "no case id, name or address in any body the police received")

        # 2. Mailboxes and case notes, as committed.
        def outputs():
            return read_committed(broker.bootstrap, ["crp.notifications.email", "crp.casenotes",
                                                     "crp.escalations", "crp.dlq"])
        def mine(records, topic):
            return [json.loads(r["value"]) for r in records if r["topic"] == topic and r["key"] == CID]
        def ready(records):
            return any(e.get("type") == "challenge.stage_started" and e.get("stage") == "stage1"
                       for e in mine(records, "crp.escalations")) and len(mine(records, "crp.casenotes")) >= 4
        records = eventually(outputs, ready, 90, adapter, name=NAME)
        emails = mine(records, "crp.notifications.email")
        to = {(m["personalisation"]["stage_label"].split(":")[0], m["personalisation"]["recipient_role"]):
              m["email_address"] for m in emails}
        say(NAME, f"emails: {sorted(to.items())}")
        check(to.get(("Informal PDRP", "Professional")) == "ppu.referrals@police.example",
              "informal stage: the professional is written to at the police's mailbox (no contact yet)")
        check(to.get(("Informal PDRP", "Supervising Manager")) == "ppu.sergeants@police.example",
              "informal stage: the supervising manager is the police's")
        check(to.get(("Formal PDRP Stage 1", "Supervising Manager")) == "ppu.sergeants@police.example",
              "Stage 1 goes to the police supervising manager")
        check(to.get(("Formal PDRP Stage 1", "Professional")) == CONTACT,
              "Stage 1 copies the professional at the address given later, on the response")
        check(not [m for m in emails if m["email_address"] in COUNCIL_DEFAULTS],
              "no partner role reached a council mailbox")
        notes = mine(records, "crp.casenotes")
        text = json.dumps(notes)
        for step in ("Informal PDRP sent to", "Date returned", "escalated to Formal PDRP Stage 1",
                     "Formal PDRP Stage 1: Notifying the Supervising Manager sent to"):
            check(step in text, f"case note on the child's file: {step!r}")
        every = json.dumps([json.loads(r["value"]) if r["value"][:1] == b"{" else r["value"].decode(errors="replace")
                            for r in records])
        check(OFFICER not in every and "Zoltan" not in every, "the officer's name is in no output")
        unmapped = [json.loads(r["value"]) for r in records
                    if r["topic"] == "crp.escalations" and r["key"] == "E2E-PA-2"]
        check(unmapped and all(e.get("agency") == "other" for e in unmapped),
              "an agency text no alias matches is coded 'other', not guessed")
        check(eventually(lambda: metric(admin, "crp_agency_unmapped_total"), lambda v: v >= 1, 30, adapter,
                         name=NAME) >= 1, "crp_agency_unmapped_total counted it")

        code = adapter.stop(timeout=60)
        check(code == 0, f"adapter exited 0 on SIGTERM (got {code})")
        check(not [e for e in log_errors(adapter)], "no error in the adapter log")
        log = (work / "adapter.log").read_text()
        check(OFFICER not in log and "Zoltan" not in log, "the officer's name is not in the adapter log")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
