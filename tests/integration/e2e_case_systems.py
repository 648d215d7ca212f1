#!/usr/bin/env python3
"""End to end on a real broker: a challenge from Liquidlogic LCS events
(Bradford, config/samples/lcs-bradford.jsonl, produced by kcat as an LCS
export would) and one from Mosaic events (Walsall,
config/samples/mosaic-walsall.jsonl, produced by confluent-kafka) run through
`crp-adapter run` to closure. A read_committed consumer then checks the GOV.UK
Notify records (addresses from the event's contacts, the child's team and
locality in the role directory, per-protocol/stage template ids, the
personalisation allowlist, no names or case-note text anywhere) and the case
notes written back in each system's own format; every output must equal, per
challenge, what `crp-adapter replay` prints for the same records (so each
Notify `reference` is stable per decision). A Mosaic approval by a worker whose
role the protocol does not know is dead-lettered naming the field and rule.
"""
import json
import subprocess
import sys

from confluent_kafka.admin import AdminClient, NewTopic

import e2e_harness as h

NAME = "e2e_case_systems"
PARTITIONS = 3
LCS, MOSAIC = "lcs.events", "mosaic.events"
SAMPLES = h.REPO / "config" / "samples"
INPUTS = [{"topic": LCS, "connector": "lcs", "protocols": ["bradford", "iro-cp-lac"]},
          {"topic": MOSAIC, "connector": "mosaic", "protocols": ["walsall"]}]
TEMPLATES = {"walsall.stage_started": "7a2d3b63-1d4f-4e3c-8b9f-1c2d3e4f5a60",
             "bradford.stage2.stage_started": "7a2d3b63-1d4f-4e3c-8b9f-1c2d3e4f5a61"}
PERSONALISATION = {"case_reference", "protocol", "stage_label", "recipient_role", "copy", "reason", "due_date", "link"}
# Free text and names in the samples: none may leave the adapter except in the DLQ (original bytes).
SECRETS = ["Core group meetings not held", "core group dates set", "B. Worker", "C. Manager", "D. Manager",
           "E. Chair", "G. Coordinator", "H. Manager", "I. Group", "A. Coordinator"]
LCS_ID, MOSAIC_ID = "lcs-CPCH-000452", "mosaic-RES-770213"


def records(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def unknown_approver():
    """A second Walsall resolution whose approval comes from a role Walsall's protocol lacks."""
    step = {"step_id": "ST-9", "step_type": "Formal Resolution Stage 1", "status": "In progress"}
    base = {"person_id": "5520999", "workflow_id": "RES-770299", "step": step}
    return [{"topic": MOSAIC, "key": "5520999", "value": dict(base, event_id="MOS-EVT-9", event_type="form.completed",
                                                              occurred_at="2027-02-02T09:00:00Z",
                                                              form={"form_id": "F9", "form_type": "Formal Resolution form"})},
            {"topic": MOSAIC, "key": "5520999", "value": dict(base, event_id="MOS-EVT-10", event_type="form.completed",
                                                              occurred_at="2027-02-03T09:00:00Z", worker={"role": "Senior Practitioner"},
                                                              form={"form_id": "F10", "form_type": "Resolution Response Approval"})}]


def kcat_produce(bootstrap, topic, recs):
    """The LCS export's side: kcat, key and value separated by a tab."""
    lines = "".join(f"{r['key']}\t{json.dumps(r['value'], separators=(',', ':'))}\n" for r in recs)
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-z", "none"], input=lines, text=True,
                   check=True, timeout=60)


def create_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    specs = [NewTopic(t, PARTITIONS, 1) for t in [LCS, MOSAIC, *h.OUTPUTS]]
    specs.append(NewTopic(h.CHANGELOG, PARTITIONS, 1, config={"cleanup.policy": "compact"}))
    for _, f in admin.create_topics(specs, operation_timeout=30).items():
        f.result(60)


def check_outputs(check, out):
    emails = {k: [json.loads(r["value"]) for r in out if r["topic"] == "crp.notifications.email" and r["key"] == k]
              for k in (LCS_ID, MOSAIC_ID)}
    notes = {k: [json.loads(r["value"]) for r in out if r["topic"] == "crp.casenotes" and r["key"] == k]
             for k in (LCS_ID, MOSAIC_ID)}
    life = {k: [json.loads(r["value"]) for r in out if r["topic"] == "crp.escalations" and r["key"] == k]
            for k in (LCS_ID, MOSAIC_ID)}

    # Lifecycle: both run their protocol to closure.
    def steps(k):
        return [(e["type"], e.get("stage"), e.get("reason") or e.get("outcome")) for e in life[k]]
    check(steps(LCS_ID) == [("challenge.stage_started", "stage1", "raised"),
                            ("challenge.escalated", "stage2", "response_rejected"),
                            ("challenge.stage_started", "stage2", "response_rejected"),
                            ("challenge.closed", "stage2", "resolved")], f"LCS Bradford lifecycle {steps(LCS_ID)}")
    check(steps(MOSAIC_ID) == [("challenge.stage_started", "informal", "raised"),
                               ("challenge.escalated", "stage1", "response_rejected"),
                               ("challenge.stage_started", "stage1", "response_rejected"),
                               ("challenge.closed", "stage1", "resolved")], f"Mosaic Walsall lifecycle {steps(MOSAIC_ID)}")
    informal = next((e for e in life[MOSAIC_ID] if e.get("stage") == "informal"), {})
    check(informal.get("due_at") == "2027-02-05T17:00:00Z", "Walsall informal deadline is the agreed date from the form")

    # Notify shape: exactly the four fields, allowlisted personalisation, unique references.
    every = emails[LCS_ID] + emails[MOSAIC_ID]
    check(all(set(e) == {"template_id", "email_address", "personalisation", "reference"} for e in every),
          "every email record has exactly template_id, email_address, personalisation, reference")
    check(all(set(e["personalisation"]) <= PERSONALISATION for e in every), "personalisation is the allowlist only")
    check(len({e["reference"] for e in every}) == len(every), "references are unique per decision and recipient")

    def sent(k, reason_prefix):
        return {(e["email_address"], e["personalisation"]["copy"], e["template_id"]) for e in emails[k]
                if e["personalisation"]["reason"].startswith(reason_prefix)}
    default_template = "6f1c2a52-0c3e-4d2b-9a8e-0b1c2d3e4f50"
    check(sent(LCS_ID, "CP Challenge Stage 1 raised") == {
        ("b.worker@authority.example", "no", default_template),          # contact on the LCS form wins
        ("tm.keighley.cp1@authority.example", "no", default_template),   # the child's team in the directory
        ("a.coordinator@authority.example", "yes", default_template)},   # the author's own address
        f"Bradford Stage 1 sent to the SW and TM, chair copied: {sent(LCS_ID, 'CP Challenge Stage 1 raised')}")
    stage2 = sent(LCS_ID, "CP Challenge Stage 2 started")
    check(("csm.keighley@authority.example", "no", TEMPLATES["bradford.stage2.stage_started"]) in stage2,
          f"Bradford Stage 2 to the locality's CSM with the stage's own template: {stage2}")
    check(sent(MOSAIC_ID, "Informal Resolution raised") == {
        ("tm.north2@authority.example", "no", TEMPLATES["walsall.stage_started"]),
        ("g.coordinator@walsall.example", "yes", TEMPLATES["walsall.stage_started"]),
        ("safeguarding.review.gm@authority.example", "yes", TEMPLATES["walsall.stage_started"]),
        ("principal.iro@authority.example", "yes", TEMPLATES["walsall.stage_started"])},
        f"Walsall informal to the TM, GM S&R and Principal IRO always copied: {sent(MOSAIC_ID, 'Informal Resolution raised')}")
    check(("gm.north@authority.example", "no", TEMPLATES["walsall.stage_started"]) in
          sent(MOSAIC_ID, "Formal Resolution Stage 1 started"), "Walsall Stage 1 to the locality's Group Manager")

    # Case notes in the source system's format.
    lcs_notes = notes[LCS_ID]
    # Start, response returned, escalation; Stage 2 start, meeting arranged, outcome.
    check(len(lcs_notes) == 6 and all(n["system"] == "lcs" and n["process_id"] == "CPCH-000452" and
                                      n["person_id"] == "LCS-2207741" and
                                      {"note_type", "query", "action", "outcome"} <= set(n["case_note"])
                                      for n in lcs_notes),
          f"6 LCS case notes (query, action, outcome) on the challenge's workflow: {lcs_notes}")
    check(lcs_notes and lcs_notes[-1]["case_note"]["outcome"] == "Resolved at CP Challenge Stage 2",
          "the last LCS case note records the outcome")
    mos_steps = [(n["step"]["step_type"], n["step"]["action"], n["step"].get("next_action")) for n in notes[MOSAIC_ID]]
    # A new step when a stage starts; responses and approvals update it.
    check(mos_steps == [("Informal Resolution", "create", None),
                        ("Informal Resolution", "update", None),
                        ("Informal Resolution", "complete", "Formal Resolution Stage 1"),
                        ("Formal Resolution Stage 1", "create", None),
                        ("Formal Resolution Stage 1", "update", None),
                        ("Formal Resolution Stage 1", "update", None),
                        ("Formal Resolution Stage 1", "complete", "Resolution agreed - close")],
          f"Mosaic step updates: {mos_steps}")
    check(all(n["form"]["form_type"] == "Resolution Case Note" and n["workflow_id"] == "RES-770213"
              for n in notes[MOSAIC_ID]), "Mosaic notes are Resolution Case Note forms on the workflow")

    # No names or case-note text outside the DLQ.
    leaked = [s for s in SECRETS for r in out if r["topic"] != "crp.dlq" and s.encode() in r["value"]]
    check(not leaked, f"no names or free text in outputs: {leaked[:3]}")

    dlq = [r for r in out if r["topic"] == "crp.dlq"]
    check(len(dlq) == 1 and dlq[0]["headers"].get("__connect.errors.exception.class.name") == "crp.MappingError"
          and dlq[0]["headers"].get("__connect.errors.topic") == MOSAIC
          and "/worker/role" in dlq[0]["headers"].get("__connect.errors.exception.message", ""),
          f"the unknown approver is dead-lettered naming /worker/role: {[r['headers'] for r in dlq]}")
    check(dlq and json.loads(dlq[0]["value"])["event_id"] == "MOS-EVT-10", "the DLQ keeps the original record")


def main():
    args = h.arguments(__doc__).parse_args()
    mosaic = sorted(records(SAMPLES / "mosaic-walsall.jsonl") + unknown_approver(), key=h.occurred_at)
    lcs = records(SAMPLES / "lcs-bradford.jsonl")
    with h.E2E(NAME, args, 0) as t:
        bootstrap, check = t.bootstrap, t.check
        create_topics(bootstrap)
        email = json.loads((h.REPO / "config" / "crp-adapter.json").read_text())["email"]
        email["templates"].update(TEMPLATES)
        config = t.config({"clock": "event", "commit_interval_ms": 100, "create_topics": True},
                          inputs=INPUTS, email=email)
        adapter = t.adapter(config)
        # Walsall's February first, then Bradford's March: a partition's event
        # clock only moves forward, as replay's does over the same order.
        h.produce(bootstrap, mosaic)
        h.wait_consumed(bootstrap, adapter, 120, NAME, [MOSAIC])
        kcat_produce(bootstrap, LCS, lcs)
        h.wait_consumed(bootstrap, adapter, 120, NAME, [LCS, MOSAIC])
        check_outputs(check, h.read_committed(bootstrap, h.OUTPUTS))
        # Not the unknown approver's own resolution: replay runs one clock over
        # both workflows, the service one per partition (see e2e_replay_equivalence).
        t.exactly_once(config, mosaic + lcs, None, {LCS_ID, MOSAIC_ID, "5520999"}, "live equals replay per challenge: ")
        rc = adapter.stop()
        check(rc == 0 and not h.log_errors(adapter), f"adapter exit {rc}, no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
