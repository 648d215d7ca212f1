#!/usr/bin/env python3
"""The drift watchdog end to end on a real broker (issue 19): case-activity
records from Mosaic and LCS, produced with confluent-kafka as the case
systems' integrations would, run through `crp-adapter run` (event clock):

  (a) Mosaic, Walsall: a Review Child Protection Conference is scheduled and
      its social work report is shared only two working days before it.
      Walsall: "Report has not been shared in advance, for Initial Child
      Protection Conference this is at least a day in advance and for Review
      Child Protection Conferences 3 days in advance of the conference." The
      service emits `watch.breach` on crp.escalations (rule, conference, due
      and actual) and never raises a challenge by itself.
  (b) LCS, Rotherham: an Initial Child Protection Conference is arranged and
      nothing else is recorded before it. Rotherham: "The Conference Chair
      will ensure that families are aware of any challenge escalations raised
      at the meeting held with them prior to the start of the Child
      Protection Conference." The pre-conference check sends the chair one
      summary email (template kind `pre_conference_summary`) of what is
      missing (the report).

Every committed output must equal what `crp-adapter replay` prints for the
same records (replay equivalence, per key), and no record is dead-lettered.
"""
import json
import sys

from confluent_kafka.admin import AdminClient, NewTopic

import e2e_harness as h

NAME = "e2e_watch"
PARTITIONS = 3
LCS, MOSAIC = "lcs.events", "mosaic.events"
# The watch protocols: Walsall's for Mosaic; the LCS input's activity feeds
# Rotherham's (its activity_protocol: the input serves two LCS protocols).
INPUTS = [{"topic": LCS, "connector": "lcs", "protocols": ["bradford", "rotherham"], "activity_protocol": "rotherham"},
          {"topic": MOSAIC, "connector": "mosaic", "protocols": ["walsall"]}]
SUMMARY_TEMPLATE = "6f1c2a52-0c3e-4d2b-9a8e-0b1c2d3e4f60"
CHAIRS = "conference.chairs@authority.example"  # the directory's conference_chair (no team on the LCS records)
END = "2027-06-10T12:00:00Z"  # the last record's time: every partition's event clock is moved to it
MOSAIC_PLAN, LCS_PLAN = "mosaic-CPW-E2E-771", "lcs-CPP-E2E-9"
TEAM = {"team_id": "MT-044", "name": "Walsall North Locality Team 2", "locality": "Walsall North"}
# Names and free text in the records: none may leave the adapter.
SECRETS = ["K. Chair", "J. Worker", "Free text: never read."]


def mosaic_records():
    """Walsall RCPC on Thursday 20 May 2027, 10:00 BST; report shared Tuesday 18 May."""
    chair = {"worker_id": "MW-3001", "role": "CP Coordinator", "name": "K. Chair"}
    step = {"step_id": "ST-E2E-310", "step_type": "Review Child Protection Conference", "assigned_worker": chair}
    schedule = {"schedule_id": "SCH-E2E-1", "start": "2027-05-20T10:00:00+01:00", "status": "Scheduled",
                "interpreter_required": False}

    def rec(n, at, status, **kw):
        v = {"event_id": f"MOS-E2E-{n}", "occurred_at": at, "person_id": "5529001", "workflow_id": "CPW-E2E-771",
             "allocated_team": TEAM, "step": dict(step, status=status), "worker": chair, **kw}
        v.setdefault("event_type", "step.status_changed")
        return {"topic": MOSAIC, "key": "5529001", "headers": {}, "value": v}
    return [
        rec(1, "2027-05-10T09:00:00Z", "In progress", schedule=schedule),
        rec(2, "2027-05-12T10:00:00Z", "In progress", event_type="form.completed",
            form={"form_id": "FM-E2E-1", "form_type": "CP Consultation Form"}),
        rec(3, "2027-05-18T16:30:00Z", "In progress", event_type="form.completed",
            form={"form_id": "FM-E2E-2", "form_type": "Social Work Report to Conference",
                  "answers": {"report_shared": True}}),
        rec(4, "2027-05-20T12:30:00Z", "Completed", schedule=dict(schedule, status="Held"),
            step=dict(step, status="Completed", next_actions=[{"action": "Core Group Meeting"}])),
    ]


def lcs_records():
    """An ICPC on Thursday 10 June 2027, 10:00 BST, interpreter needed; then it is held."""
    workflow = {"process_id": "CPW-E2E-90", "step_id": "STEP-E2E-5", "step": "Initial Child Protection Conference"}
    author = {"worker_id": "W-E2E-1", "role": "CP Coordinator", "name": "K. Chair"}

    def rec(n, at, section, answers):
        v = {"event_id": f"LCS-E2E-{n}", "event_type": "form.section_completed", "occurred_at": at,
             "person_id": "LCS-E2E-1", "plan_id": "CPP-E2E-9", "workflow": workflow,
             "form": {"form_id": "FRM-E2E-1", "form_type": "Initial Child Protection Conference",
                      "section": section, "answers": answers}, "author": author}
        return {"topic": LCS, "key": "LCS-E2E-1", "headers": {}, "value": v}
    return [
        rec(1, "2027-05-27T09:00:00Z", "Conference Arrangements",
            {"conference_date": "2027-06-10T10:00:00+01:00", "interpreter_required": True}),
        rec(2, END, "Conference Outcome",
            {"conference_date": "2027-06-10T10:00:00+01:00", "conference_outcome": "Child Protection Plan"}),
    ]


def clock_records():
    """One record per partition of each input at END that maps to nothing (a
    step and a form no rule is about): each partition's event clock reaches END,
    as replay's one clock does, so the same deadlines have passed everywhere."""
    out = []
    for p in range(PARTITIONS):
        step = {"step_id": f"ST-CLOCK-{p}", "step_type": "Clock", "status": "In progress"}
        out.append({"topic": MOSAIC, "key": None, "partition": p, "headers": {},
                    "value": {"event_id": f"MOS-CLOCK-{p}", "event_type": "step.status_changed", "occurred_at": END,
                              "person_id": "CLOCK", "workflow_id": "CLOCK", "step": step}})
        out.append({"topic": LCS, "key": None, "partition": p, "headers": {},
                    "value": {"event_id": f"LCS-CLOCK-{p}", "event_type": "form.recorded", "occurred_at": END,
                              "person_id": "CLOCK", "form": {"form_id": f"F-CLOCK-{p}", "form_type": "Clock"}}})
    return out


def create_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    specs = [NewTopic(t, PARTITIONS, 1) for t in [LCS, MOSAIC, *h.OUTPUTS]]
    specs.append(NewTopic(h.CHANGELOG, PARTITIONS, 1, config={"cleanup.policy": "compact"}))
    for _, f in admin.create_topics(specs, operation_timeout=30).items():
        f.result(60)


def check_outputs(check, out):
    values = [(r["topic"], r["key"], json.loads(r["value"])) for r in out if r["topic"] != "crp.dlq"]
    breaches = [v for t, _, v in values if t == "crp.escalations" and v.get("type") == "watch.breach"]
    late = [b for b in breaches if json.dumps(b).find("ST-E2E-310") >= 0]
    check(len(late) == 1, f"one watch.breach for the RCPC whose report came late: {breaches}")
    if late:
        b = late[0]
        # Three working days before Thursday 20 May: the end of Monday 17 May (17:00 BST).
        check(b.get("protocol") == "walsall" and b.get("plan_id") == MOSAIC_PLAN and
              b.get("rule") == "report_shared_before_conference" and b.get("due_at") == "2027-05-17T16:00:00Z",
              f"Walsall's report rule, due at the end of Monday 17 May: {b}")
    raised = [v for t, _, v in values if t == "crp.escalations" and str(v.get("type", "")).startswith("challenge.")]
    check(not raised, f"the service raises no challenge by itself: {raised[:2]}")

    emails = [v for t, _, v in values if t == "crp.notifications.email"]
    summaries = [e for e in emails if e.get("template_id") == SUMMARY_TEMPLATE]
    lcs_summaries = [e for e in summaries if e["personalisation"].get("case_reference") == "LCS-E2E-1"]
    check(len(lcs_summaries) == 1 and lcs_summaries[0].get("email_address") == CHAIRS and
          lcs_summaries[0]["personalisation"].get("recipient_role") == "Conference Chair",
          f"one pre-conference summary for the LCS ICPC, to the conference chair: {lcs_summaries}")
    checks = [v for t, _, v in values if t == "crp.escalations" and v.get("type") == "watch.pre_conference_check"
              and v.get("plan_id") == LCS_PLAN]
    check(len(checks) == 1 and checks[0].get("missing") == ["report_shared_before_conference"],
          f"the summary says what is missing before the ICPC, the report: {checks}")
    dlq = [r for r in out if r["topic"] == "crp.dlq"]
    check(not dlq, f"nothing dead-lettered: {[r['headers'] for r in dlq][:2]}")
    leaked = [s for s in SECRETS for r in out if s.encode() in r["value"]]
    check(not leaked, f"no names or free text in outputs: {leaked[:3]}")


def main():
    args = h.arguments(__doc__).parse_args()
    mosaic, lcs, clocks = mosaic_records(), lcs_records(), clock_records()
    with h.E2E(NAME, args, 0) as t:
        bootstrap, check = t.bootstrap, t.check
        create_topics(bootstrap)
        email = json.loads((h.REPO / "config" / "crp-adapter.json").read_text())["email"]
        email["templates"]["pre_conference_summary"] = SUMMARY_TEMPLATE
        config = t.config({"clock": "event", "commit_interval_ms": 100, "create_topics": True},
                          inputs=INPUTS, email=email)
        adapter = t.adapter(config)
        # Mosaic's May first, then LCS's June, then every partition to END: a
        # partition's event clock only moves forward, as replay's does over the
        # same order.
        h.produce(bootstrap, mosaic)
        h.wait_consumed(bootstrap, adapter, 120, NAME, [MOSAIC])
        h.produce(bootstrap, lcs)
        h.wait_consumed(bootstrap, adapter, 120, NAME, [LCS, MOSAIC])
        h.produce(bootstrap, clocks)
        h.wait_consumed(bootstrap, adapter, 120, NAME, [LCS, MOSAIC])
        out = h.read_committed(bootstrap, h.OUTPUTS)
        check_outputs(check, out)
        keys = {MOSAIC_PLAN, LCS_PLAN} | {r["key"] for r in out}
        t.exactly_once(config, mosaic + lcs + clocks, None, keys, "live equals replay per plan: ")
        rc = adapter.stop()
        check(rc == 0 and not h.log_errors(adapter), f"adapter exit {rc}, no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
