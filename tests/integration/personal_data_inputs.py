"""The inputs of e2e_personal_data: records of every kind the adapter reads (canonical,
LCS, Mosaic, Debezium change events of an LCS and a Mosaic database) whose personal fields
carry unique marker strings, valid and invalid, so the test can look for the markers in
everything the service produces."""
import copy
import json
import time
import uuid

import e2e_harness as h

TOKEN = uuid.uuid4().hex[:12]
MARKERS = {
    "child name": f"ZqChildName{TOKEN}",
    "worker name": f"ZqWorkerName{TOKEN}",
    "address": f"ZqAddress{TOKEN}",
    "concern": f"ZqConcern{TOKEN}",
}
CHILD, WORKER, ADDRESS, CONCERN = (MARKERS[k] for k in ("child name", "worker name", "address", "concern"))
FREE_TEXT = f"Plan not progressing; {CONCERN}; {CHILD} lives at {ADDRESS}, seen by {WORKER}"

PARTITIONS = 3
LCS, MOSAIC, CDC_LCS, CDC_MOSAIC = "lcs.events", "mosaic.events", "crp.cdc.lcs", "crp.cdc.mosaic"
SAMPLES = h.REPO / "config" / "samples"
DAY = 86400


def record(topic, key, value, dlq, what):
    """An input record; dlq: whether it must be dead-lettered (else processed or dropped)."""
    return {"topic": topic, "key": key, "headers": {}, "value": value, "dlq": dlq, "what": what}


def now_iso(offset_s=0):
    return h.iso(time.time() + offset_s)


# ---- canonical --------------------------------------------------------------

def raised(cid, protocol="rotherham", **extra):
    return {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": "2026-01-04T09:00:00Z",
            "challenge_id": cid, "case_id": f"LCS-{cid}", "protocol": protocol, **extra}


def canonical_records():
    contacts = {"social_worker": {"name": WORKER, "email": "sw@authority.example"},
                "child": {"name": CHILD}}
    out = [
        # Valid: names and the concern are accepted and must be dropped.
        record(h.INPUT, "PD-1", raised("PD-1", contacts=contacts, summary=FREE_TEXT), False, "valid raise"),
        record(h.INPUT, "PD-1", {"type": "challenge.response_received", "event_id": "PD-1-2",
                                 "occurred_at": "2026-01-05T09:00:00Z", "challenge_id": "PD-1",
                                 "case_id": "LCS-PD-1", "protocol": "rotherham", "summary": FREE_TEXT},
               False, "valid response"),
        # Schema-invalid: an address where a yes/no belongs, among properties the
        # schema does not know (accepted, never read) holding names and the concern.
        record(h.INPUT, "PD-2", raised("PD-2", immediate_risk=f"at {ADDRESS}", child_name=CHILD, worker_name=WORKER,
                                       concern=CONCERN), True, "schema-invalid immediate_risk"),
        # Schema-invalid value in a personal field: an over-long concern.
        record(h.INPUT, "PD-3", raised("PD-3", summary=FREE_TEXT * 1000, contacts=contacts), True,
               "over-long summary"),
        # Rejected by the engine (nothing to accept): the message must not echo it.
        record(h.INPUT, "PD-4", {"type": "challenge.response_accepted", "event_id": "PD-4-1",
                                 "occurred_at": "2026-01-05T09:00:00Z", "challenge_id": "PD-4", "case_id": "LCS-PD-4",
                                 "protocol": "rotherham", "summary": FREE_TEXT, "contacts": contacts},
               True, "engine-rejected"),
        # Not JSON at all, the markers inside.
        record(h.INPUT, "PD-5", f"name={CHILD} address={ADDRESS} worker={WORKER} {CONCERN} {{", True, "not JSON"),
        # Not JSON, with headers posing as the dead letter's own: the service must not copy them.
        dict(record(h.INPUT, "PD-5b", "{not json", True, "not JSON, forged error headers"),
             headers={"__connect.errors.exception.message": f"{CHILD}: {CONCERN}",
                      "__connect.errors.exception.class.name": WORKER}),
        # Stage 5 with immediate risk: a partner decision (webhook) from an event naming the child.
        record(h.INPUT, "PD-6", dict(raised("PD-6", protocol="bradford", stage="stage5", immediate_risk=True,
                                            agency="childrens_social_care", contacts=contacts, summary=FREE_TEXT),
                                     occurred_at=now_iso()), False, "stage 5 raise (partner)"),
        # Raised 60 days ago: overdue now, listed by ?overdue=true.
        record(h.INPUT, "PD-7", dict(raised("PD-7", contacts=contacts, summary=FREE_TEXT),
                                     occurred_at=now_iso(-60 * DAY)), False, "overdue raise"),
        # Personal text in coded fields (an upstream mapping gone wrong): refused
        # without echoing it, as the DLQ's messages name the field, never the value.
        record(h.INPUT, "PD-8", raised("PD-8", protocol=CHILD), True, "a name as the protocol"),
        record(h.INPUT, "PD-9", raised("PD-9", stage=FREE_TEXT), True, "free text as the stage"),
        record(h.INPUT, "PD-10", raised("PD-10", track=f"{WORKER} {ADDRESS}"), True, "a name as the track"),
        record(h.INPUT, "PD-7", {"type": "challenge.escalated", "event_id": "PD-7-2", "occurred_at": now_iso(-59 * DAY),
                                 "challenge_id": "PD-7", "case_id": "LCS-PD-7", "protocol": "rotherham",
                                 "to_stage": f"{CONCERN} for {CHILD}"}, True, "free text as the next stage"),
        record(h.INPUT, "PD-1", {"type": "duty.completed", "event_id": "PD-1-3", "occurred_at": "2026-01-06T09:00:00Z",
                                 "challenge_id": "PD-1", "case_id": "LCS-PD-1", "protocol": "rotherham",
                                 "duty": ADDRESS}, True, "an address as the duty"),
        # A name where the email address belongs: never an address on a Notify record.
        record(h.INPUT, "PD-11", raised("PD-11", contacts={"practitioner": {"email": WORKER}}), True,
               "a name as the email address"),
    ]
    keys = {}
    for r in out:  # one challenge, one partition
        r["partition"] = keys.setdefault(r["key"], len(keys) % PARTITIONS)
    return out


# ---- LCS and Mosaic -----------------------------------------------------------

def subject():
    """What an export may carry about the child besides ids: never read."""
    return {"name": CHILD, "address": {"line_1": ADDRESS, "postcode": "BD1 1AA"}, "date_of_birth": "2015-04-01"}


def lcs_event(n, process, event_type, at, **parts):
    return {"event_id": f"LCS-PD-{TOKEN}-{n}", "event_type": event_type, "occurred_at": at,
            "person_id": "LCS-PD-7781", "subject": subject(),
            "allocated_team": {"team_id": "T-0412", "name": "Keighley CP Team 1", "locality": "Keighley"},
            "workflow": {"process_id": process, "step_id": "STEP-1", "step": f"Step recorded by {WORKER}"},
            "author": {"worker_id": "W-10233", "role": "Child Protection Coordinator", "name": WORKER,
                       "email": "a.coordinator@authority.example"},
            **parts}


def lcs_records():
    stage5 = "Referral to the Bradford Safeguarding Children Partnership"
    recipients = [{"worker_id": "W-20391", "role": "Social Worker", "name": WORKER, "email": "b.worker@authority.example"},
                  {"worker_id": "W-20388", "role": "Team Manager", "name": f"{WORKER} (manager)"}]
    note = {"note_id": "CN-PD-1", "note_type": "CP Challenge Stage 1", "status": "ongoing",
            "query": FREE_TEXT, "action": f"Spoke to {CHILD} at {ADDRESS}", "outcome": f"{WORKER} to follow up: {CONCERN}"}
    values = [
        # Valid: Stage 5 with immediate risk (a partner decision), names everywhere.
        (lcs_event(1, "PD-CPCH-5", "form.recorded", "2026-03-01T09:30:00Z", recipients=recipients,
                   form={"form_id": "FRM-PD-5", "form_type": stage5, "section": "Challenge details",
                         "answers": {"immediate_risk": True, "categories": ["Plan not progressing"],
                                     "agency": "childrens_social_care"}}), False, "stage 5 form (partner)"),
        # Valid: a challenge raised by a case note whose free text holds every marker.
        (lcs_event(2, "PD-CPCH-1", "case_note.added", "2026-03-01T10:00:00Z", recipients=recipients, case_note=note),
         False, "stage 1 raised by a case note"),
        # Schema-invalid: an over-long worker name.
        (lcs_event(3, "PD-CPCH-1", "case_note.added", "2026-03-01T10:05:00Z", case_note=note,
                   recipients=[{"role": "Social Worker", "name": WORKER * 20}]), True, "over-long worker name"),
        # Mapping error: an approval without the approver's role (a name where the role belongs).
        (lcs_event(4, "PD-CPCH-1", "form.section_completed", "2026-03-02T10:00:00Z",
                   author={"worker_id": "W-20388", "role": WORKER, "name": WORKER},
                   form={"form_id": "FRM-PD-1", "form_type": "CP Challenge Stage 1", "section": "Manager Approval"}),
         True, "approval by a name, not a role"),
        # Engine rejection: Stage 5 without immediate risk skips stages.
        (lcs_event(5, "PD-CPCH-1", "form.recorded", "2026-03-02T11:00:00Z", case_note=note,
                   form={"form_id": "FRM-PD-6", "form_type": stage5, "answers": {"immediate_risk": False}}),
         True, "skip without immediate risk"),
        # A name where the email address belongs.
        (lcs_event(6, "PD-CPCH-1", "alert.sent", "2026-03-02T12:00:00Z",
                   alert={"alert_id": "ALR-PD-1", "alert_type": "CP Challenge Stage 1"},
                   recipients=[{"worker_id": "W-20391", "role": "Social Worker", "name": WORKER, "email": WORKER}]),
         True, "a name as the email address"),
    ]
    out = [record(LCS, "LCS-PD-7781", v, dlq, what) for v, dlq, what in values]
    out.append(record(LCS, "LCS-PD-7781", f'{{"event_id": "LCS-PD-{TOKEN}-7", "subject": {{"name": "{CHILD}", '
                                          f'"address": "{ADDRESS}"}}, "author": "{WORKER}", "note": "{CONCERN}"',
                      True, "truncated JSON"))
    return out


def mosaic_event(n, event_type, at, step_type, status, **parts):
    worker = {"worker_id": "MW-1101", "role": "CP Coordinator", "name": WORKER, "email": "g.coordinator@walsall.example"}
    return {"event_id": f"MOS-PD-{TOKEN}-{n}", "event_type": event_type, "occurred_at": at,
            "person_id": "5529901", "workflow_id": "RES-PD-1", "person": subject(),
            "allocated_team": {"team_id": "MT-044", "name": "Walsall North Locality Team 2", "locality": "Walsall North"},
            "step": {"step_id": "ST-PD-1", "step_type": step_type, "status": status,
                     "assigned_worker": {"worker_id": "MW-2207", "role": "Team Manager", "name": WORKER},
                     "notes": FREE_TEXT},
            "worker": worker, **parts}


def mosaic_records():
    stage1 = "Formal Resolution Stage 1"
    values = [
        (mosaic_event(1, "form.completed", "2026-02-01T09:00:00Z", stage1, "In progress",
                      form={"form_id": "FM-PD-1", "form_type": "Formal Resolution form",
                            "answers": {"categories": ["Plan not progressing"], "concern_details": FREE_TEXT,
                                        "child_name": CHILD}}), False, "stage 1 raised"),
        (mosaic_event(2, "form.completed", "2026-02-02T09:00:00Z", stage1, "In progress",
                      form={"form_id": "FM-PD-2", "form_type": "Resolution Response", "answers": {"text": FREE_TEXT}},
                      worker={"role": "Team Manager", "name": WORKER}), False, "response"),
        # Schema-invalid: a status Mosaic does not have.
        (mosaic_event(3, "step.status_changed", "2026-02-02T10:00:00Z", stage1, f"Closed by {WORKER}"),
         True, "unknown step status"),
        # Mapping error: the approver's role holds a name.
        (mosaic_event(4, "form.completed", "2026-02-03T09:00:00Z", stage1, "In progress",
                      form={"form_id": "FM-PD-4", "form_type": "Resolution Response Approval",
                            "answers": {"decision": "approved"}},
                      worker={"worker_id": "MW-3302", "role": WORKER, "name": WORKER}), True, "approval by a name"),
        # Engine rejection: Walsall Stage 1 needs the Group Manager's approval.
        (mosaic_event(5, "form.completed", "2026-02-03T10:00:00Z", stage1, "In progress",
                      form={"form_id": "FM-PD-5", "form_type": "Resolution Response Approval",
                            "answers": {"decision": "approved"}},
                      worker={"worker_id": "MW-4410", "role": "Head of Service", "name": WORKER}),
         True, "approval by the wrong role"),
        # Free text where the email address belongs.
        (mosaic_event(6, "step.status_changed", "2026-02-03T11:00:00Z", stage1, "In progress",
                      worker={"worker_id": "MW-1101", "role": "CP Coordinator", "email": f"{WORKER} at {ADDRESS}"}),
         True, "free text as the email address"),
    ]
    out = [record(MOSAIC, "5529901", v, dlq, what) for v, dlq, what in values]
    out.append(record(MOSAIC, "5529901", f"person={CHILD};address={ADDRESS};worker={WORKER};notes={CONCERN}", True,
                      "not JSON"))
    return out


# ---- Debezium ---------------------------------------------------------------

def samples(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def lcs_change(n, op, after, before=None, table="CP_CHALLENGE_FORM"):
    """A SQL Server change event with the Connect schema wrapper, from the sample's first record."""
    base = copy.deepcopy(samples(SAMPLES / "debezium-lcs-sqlserver.jsonl")[0])
    value, payload = base["value"], base["value"]["payload"]
    # Columns the sample's table lacks (names, address) declared in the wrapper as Debezium would.
    for field in value["schema"]["fields"]:
        if field["field"] in ("before", "after"):
            known = {f["field"] for f in field["fields"]}
            for column in {**(after or {}), **(before or {})}:
                if column not in known:
                    field["fields"].append({"type": "string", "optional": True, "field": column})
    payload.update(before=before, after=after, op=op, ts_ms=1774170845412 + n)
    payload["source"].update(table=table, change_lsn=f"0000002d:0000{n:04x}:0002", commit_lsn=f"0000002d:0000{n:04x}:0003",
                             event_serial_no=1, snapshot="false")
    return value


def lcs_form(ref, stage=5, status="OPEN", agency="HLTH", risk=True, updated=1774170845000):
    return {"FORM_ID": 88900, "CHALLENGE_REF": ref, "PERSON_ID": 7781399, "STAGE_NO": stage, "STATUS_CODE": status,
            "RAISING_AGENCY": agency, "IMMEDIATE_RISK": risk, "MEETING_DATE": None, "CONCERN_TEXT": FREE_TEXT,
            "AUTHOR_ROLE": "HV", "AUTHOR_NAME": WORKER, "CHILD_NAME": CHILD, "LAST_UPDATED": updated}


def mosaic_change(n, op, after, before=None, table="MO_WORKFLOW_STEPS"):
    """An Oracle change event without the wrapper, from the sample's first record."""
    value = copy.deepcopy(samples(SAMPLES / "debezium-mosaic-oracle.jsonl")[0]["value"])
    value.update(before=before, after=after, op=op, ts_ms=1774171800230 + n)
    value["source"].update(table=table, scn=str(23900000 + n), commit_scn=str(23900001 + n), txId=f"0a00{n:012x}")
    return value


def mosaic_step(response=None, approver=None, updated=1774171800000000):
    return {"WORKFLOW_STEP_ID": 4419001, "RESOLUTION_REF": "WAL-PD-0001", "PERSON_ID": 5529981,
            "STEP_TYPE": "FORMAL_RES_1", "STEP_STATUS": "IN_PROGRESS", "RESPONSE_STATUS": response,
            "APPROVER_ROLE": approver, "ASSIGNED_TEAM_ID": 3120, "STARTED_ON": 1774137600000,
            "UPDATED_ON": updated, "NOTES": FREE_TEXT, "ASSIGNED_WORKER_NAME": WORKER, "PERSON_NAME": CHILD}


def cdc_records():
    key = json.dumps({"FORM_ID": 88900}, separators=(",", ":"))
    mkey = json.dumps({"WORKFLOW_STEP_ID": 4419001}, separators=(",", ":"))
    address = {"ADDRESS_ID": 559901, "PERSON_ID": 7781399, "LINE_1": ADDRESS, "POSTCODE": "BD1 1AA",
               "OCCUPANT": CHILD, "VERIFIED_BY": WORKER, "REMARKS": CONCERN, "LAST_UPDATED": 1774173720000}
    out = [
        # Valid: a Stage 5 form with immediate risk (a partner decision); free text and names in the row.
        record(CDC_LCS, key, lcs_change(1, "c", lcs_form("BRD-PD-0005")), False, "stage 5 insert (partner)"),
        # A table the mapping does not list: the child's address. Dropped.
        record(CDC_LCS, json.dumps({"ADDRESS_ID": 559901}), lcs_change(2, "u", address, dict(address, LINE_1="x"),
                                                                         table="PERSON_ADDRESS"), False, "address row"),
        # Mapping errors: free text in coded columns.
        record(CDC_LCS, key, lcs_change(3, "c", lcs_form("BRD-PD-0006", agency=FREE_TEXT)), True,
               "free text in the agency column"),
        record(CDC_LCS, key, lcs_change(4, "c", lcs_form("BRD-PD-0007", stage=CHILD)), True,
               "a name in the stage column"),
        record(CDC_LCS, key, lcs_change(5, "c", lcs_form("BRD-PD-0008", risk=ADDRESS)), True,
               "an address in the immediate-risk column"),
        # Engine rejection: Stage 5 without immediate risk.
        record(CDC_LCS, key, lcs_change(6, "c", lcs_form("BRD-PD-0009", risk=False)), True,
               "stage 5 without immediate risk"),
        # Not JSON: a row cut short.
        record(CDC_LCS, key, json.dumps(lcs_change(7, "c", lcs_form("BRD-PD-0010")))[:-200], True, "cut short"),

        record(CDC_MOSAIC, mkey, mosaic_change(1, "c", mosaic_step()), False, "stage 1 step insert"),
        record(CDC_MOSAIC, json.dumps({"FORM_ANSWER_ID": 99129901}),
               mosaic_change(2, "c", {"FORM_ANSWER_ID": 99129901, "FORM_ID": 772901, "QUESTION_USER_CODE": "CHILD_VIEWS",
                                      "TEXT_ANSWER": FREE_TEXT, "UPDATED_ON": 1774172460000000},
                             table="MO_FORM_ANSWERS"), False, "free-text answer row"),
        record(CDC_MOSAIC, mkey, mosaic_change(3, "u", mosaic_step("SUBMITTED", updated=1774260000000000),
                                               mosaic_step(updated=1774171800000000)), False, "response submitted"),
        # Mapping error: a name in the approver's role column.
        record(CDC_MOSAIC, mkey, mosaic_change(4, "u", mosaic_step("APPROVED", WORKER, updated=1806063300000000),
                                               mosaic_step("SUBMITTED", updated=1774260000000000)), True,
               "a name in the approver role column"),
        # Engine rejection: approval by a head of service (Walsall needs the Group Manager).
        record(CDC_MOSAIC, mkey, mosaic_change(5, "u", mosaic_step("APPROVED", "HOS", updated=1806063400000000),
                                               mosaic_step("SUBMITTED", updated=1774260000000000)), True,
               "approval by the wrong role"),
        # A listed table's row that is not JSON.
        record(CDC_MOSAIC, mkey, json.dumps(mosaic_change(6, "c", mosaic_step()))[:-100], True, "cut short"),
    ]
    return out


# ---- the run ----------------------------------------------------------------
