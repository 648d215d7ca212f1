#!/usr/bin/env python3
"""No personal data leaks out of the adapter (issue 7, item 5).

Events whose personal fields (a child's or a worker's name, an address, the
free-text concern) carry unique marker strings go through a real broker and
`crp-adapter run`, on every kind of input it has: canonical events, LCS and
Mosaic events, and Debezium change events of an LCS (SQL Server, Connect
schema wrapper) and a Mosaic (Oracle, plain JSON) database. Each input gets
valid records, schema-invalid ones, ones its mapping refuses and ones the
engine rejects, including names and free text in the wrong field (an email
address, a role, a stage, a protocol id, a coded column); the Debezium ones
also rows of tables the mapping does not list (an address table, free-text
form answers).

Then everything the service produced is scanned:
  * every record on every topic it writes (keys, headers, values; the
    changelog, the partner outbox and pending topics, DLQ headers included);
  * every line it logged;
  * the admin API: /metrics (label names, label values, values),
    GET /v1/challenges, ?overdue=true and /v1/challenges/{id} of every
    challenge the markers' records opened (with the bearer token);
  * the raw bodies and headers of the webhooks a partner agency received over
    verified HTTPS (a receiver with a CA made for the run; the signing secret
    from CRP_PARTNER_SECRET_<ID>), whose allowlist holds no personal field;
  * the board report made from crp.facts (`crp-adapter report --records`:
    report.html, summary.csv, report.csv), which must also hold no case id the
    service wrote anywhere, no case_id column, and be mode 0600 in a 0700
    directory.
A marker may appear in exactly one place: the value of a dead letter, which is
the original input kept unchanged so nothing is lost. So that the scan cannot
pass vacuously, the test also asserts that every marker kind reached the
service on every input (the dead letters' values hold them), that the valid
records were processed, and that the partner received their decisions.
"""
import copy
import http.client
import json
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from prometheus_client.parser import text_string_to_metric_families

import e2e_harness as h
from webhook_receiver import Certificates, Receiver, new_secret, signature_problems, wait_for

NAME = "e2e_personal_data"
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
INPUT_TOPICS = [h.INPUT, LCS, MOSAIC, CDC_LCS, CDC_MOSAIC]
SAMPLES = h.REPO / "config" / "samples"
ADMIN_TOKEN = uuid.uuid4().hex
PARTNER = "pd-bscp"
PARTNER_SECRET_ENV = "CRP_PARTNER_SECRET_PD_BSCP"
# What the partner may receive: none of it personal. The names of fields that
# are (or would identify the child) must never be in the allowlist.
ALLOWED_FIELDS = ["route", "type", "challenge_id", "protocol", "stage", "stage_label", "occurred_at", "due_at"]
PERSONAL_FIELDS = {"case_id", "person_id", "contacts", "name", "child", "address", "summary", "concern",
                   "email", "email_address", "query", "action", "outcome", "notes", "worker"}
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

def find_markers(blob):
    text = blob.decode(errors="replace") if isinstance(blob, bytes) else str(blob)
    return [what for what, m in MARKERS.items() if m in text]


class Admin:
    def __init__(self, port):
        self.port = port

    def get(self, path, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace"), "\n".join(f"{k}: {v}" for k, v in r.getheaders())
        finally:
            conn.close()


def create_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    big = {"max.message.bytes": str(h.BIG)}
    specs = [NewTopic(t, PARTITIONS, 1, config=big) for t in INPUT_TOPICS]
    # crp.dlq is left to the service (runtime.create_topics): it must create it with retention.ms.
    specs += [NewTopic(t, PARTITIONS, 1) for t in h.OUTPUTS if t != "crp.dlq"]
    specs.append(NewTopic(h.CHANGELOG, PARTITIONS, 1, config={"cleanup.policy": "compact"}))
    for _, f in admin.create_topics(specs, operation_timeout=30).items():
        f.result(60)


DLQ_RETENTION_DAYS = 3  # not the default (7): proves the configured value reaches the topic


def topic_setting(bootstrap, topic, name):
    """A topic's setting as the broker reports it (AdminClient.describe_configs)."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the answer is in
    configs = admin.describe_configs([resource])[resource].result(30)
    return configs[name].value if name in configs else None


def dlq_header_lists(bootstrap, topic="crp.dlq"):
    """Every dead letter's headers as the list Kafka holds (the harness's dicts
    would hide a second header of the same name)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    parts = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in admin.list_topics(topic, timeout=10).topics[topic].partitions]
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "pd-dlq-headers", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": True})
    c.assign(parts)
    pending, out, deadline = {tp.partition for tp in parts}, [], time.time() + 60
    try:
        while pending and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard(m.partition())
                    continue
                raise SystemExit(f"consumer error: {m.error()}")
            out.append([(k, (v or b"").decode(errors="replace")) for k, v in (m.headers() or [])])
        if pending:
            raise SystemExit(f"no end of {topic} partitions {sorted(pending)} within 60 s")
        return out
    finally:
        c.close()


def written_topics(bootstrap):
    """Every topic but the inputs and Kafka's own: what the service wrote."""
    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return sorted(t for t in meta.topics if t not in INPUT_TOPICS and not t.startswith("__"))


def write_partner(directory, url, ca_file):
    directory.mkdir(parents=True, exist_ok=True)
    partner = {"id": PARTNER, "kind": "safeguarding_partnership", "url": url,
               "secrets": [{"env": PARTNER_SECRET_ENV}],
               "subscription": {"routes": ["bscp"], "protocols": ["bradford"]},
               "allowed_fields": ALLOWED_FIELDS, "timeout_ms": 5000,
               "retry": {"schedule_ms": [200, 400, 800], "jitter": 0}, "ca_file": ca_file}
    (directory / f"{PARTNER}.json").write_text(json.dumps(partner, indent=2))


def main():
    args = h.arguments(__doc__, 19000).parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="crp-e2e-pd-"))
    broker = h.Broker(args.port)
    adapter = receiver = None
    check = h.Checks(NAME)
    try:
        certs = Certificates(work / "certs")
        receiver = Receiver(args.port + 5, *certs.good).start()
        partners = work / "partners"
        write_partner(partners, f"https://localhost:{args.port + 5}/bscp", certs.ca)
        secret = new_secret()
        token_file = work / "admin-token"
        token_file.write_text(ADMIN_TOKEN + "\n")

        broker.start()
        create_topics(broker.bootstrap)
        mappings = h.REPO / "config" / "connectors"
        inputs = [{"topic": h.INPUT, "connector": "canonical"},
                  {"topic": LCS, "connector": "lcs", "protocols": ["bradford", "iro-cp-lac"]},
                  {"topic": MOSAIC, "connector": "mosaic", "protocols": ["walsall"]},
                  {"topic": CDC_LCS, "connector": "debezium", "mapping": str(mappings / "lcs-debezium.json")},
                  {"topic": CDC_MOSAIC, "connector": "debezium", "mapping": str(mappings / "mosaic-debezium.json")}]
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"commit_interval_ms": 100, "create_topics": True,
                                 "dead_letter_retention_days": DLQ_RETENTION_DAYS}, inputs=inputs,
                                admin={"bind": "127.0.0.1:0", "token_file": str(token_file), "rate_limit_per_s": 1000},
                                webhooks={"partners": str(partners)})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log", instance="pd",
                            env={PARTNER_SECRET_ENV: secret}).start()
        admin = Admin(h.admin_port(adapter, name=NAME))

        sent = canonical_records() + lcs_records() + mosaic_records() + cdc_records()
        h.produce(broker.bootstrap, sent)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME, INPUT_TOPICS)

        # The partner's deliveries: one per Stage 5 challenge, from three kinds of input.
        partner_challenges = {"PD-6", "lcs-PD-CPCH-5", "BRD-PD-0005"}

        def delivered():
            got = set()
            for r in receiver.received(accepted_only=True):
                try:
                    got.add(json.loads(r.body).get("data", {}).get("challenge_id"))
                except ValueError:
                    pass
            return got
        check(wait_for(lambda: partner_challenges <= delivered(), 60, "partner deliveries", adapter),
              f"the partner received the Stage 5 decisions of canonical, LCS and Debezium input ({sorted(delivered())})")

        # The admin API, after every input was processed.
        status, body, headers = admin.get("/metrics")
        check(status == 200, f"/metrics: {status}")
        samples_n = labels_n = 0
        metric_text = [("/metrics", headers + "\n" + body)]
        for family in text_string_to_metric_families(body):
            for s in family.samples:
                samples_n += 1
                labels_n += len(s.labels)
        dead = sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                   if s.name == "crp_dead_letters_total")
        want_dlq = [r for r in sent if r["dlq"]]
        check(dead == len(want_dlq), f"the metrics count the {len(want_dlq)} dead letters ({dead})")
        opened = ["PD-1", "PD-6", "PD-7", "lcs-PD-CPCH-5", "lcs-PD-CPCH-1", "mosaic-RES-PD-1", "BRD-PD-0005",
                  "WAL-PD-0001"]
        views = {}
        for path in ["/v1/challenges", "/v1/challenges?overdue=true", *[f"/v1/challenges/{c}" for c in opened]]:
            status, text, hdrs = admin.get(path, token=ADMIN_TOKEN)
            metric_text.append((path, hdrs + "\n" + text))
            views[path] = (status, text)
        check(all(views[f"/v1/challenges/{c}"][0] == 200 for c in opened),
              f"every challenge the markers' records opened is in the API "
              f"({[c for c in opened if views[f'/v1/challenges/{c}'][0] != 200]} missing)")
        status, text = views["/v1/challenges?overdue=true"]
        overdue = [c["id"] for c in json.loads(text)["challenges"]] if status == 200 else []
        check("PD-7" in overdue, f"?overdue=true lists the old challenge ({overdue})")

        rc = adapter.stop()
        check(rc == 0, f"clean stop ({rc})")

        topics = written_topics(broker.bootstrap)
        out = h.read_committed(broker.bootstrap, topics)
        dlq = [r for r in out if r["topic"] == "crp.dlq"]
        check(any(r["topic"] == "crp.partners.outbox" for r in out), "the partner outbox was written")
        check(set(opened) <= {r["key"] for r in out if r["topic"] == h.CHANGELOG},
              "the opened challenges' state reached the changelog")

        # Exactly the records meant to be dead-lettered were, each unchanged.
        want = sorted(h.value_bytes(r["value"]) for r in want_dlq)
        got = sorted(r["value"] for r in dlq)
        missing = [f"{r['what']} on {r['topic']}" for r in want_dlq if h.value_bytes(r["value"]) not in got]
        extra = [f"{r['headers'].get('__connect.errors.topic')}: {r['value'][:60]!r}" for r in dlq if r["value"] not in want]
        check(got == want, f"{len(dlq)} dead letters: the {len(want)} invalid or rejected inputs, unchanged"
              + ("" if got == want else f" (missing {missing}; unexpected {extra[:5]})"))
        for r in dlq:
            h.say(NAME, f"dead letter from {r['headers'].get('__connect.errors.topic')}: "
                        f"{r['headers'].get('__connect.errors.exception.class.name')}: "
                        f"{r['headers'].get('__connect.errors.exception.message', '')[:160]}")
        # The markers reached the service on every input: the dead letters hold them.
        for topic in INPUT_TOPICS:
            kinds = {k for r in dlq if r["headers"].get("__connect.errors.topic") == topic for k in find_markers(r["value"])}
            check(kinds == set(MARKERS), f"every marker kind reached the service on {topic} ({sorted(kinds)})")
        # And the valid ones were processed: each opened challenge has escalations.
        escalated = {r["key"] for r in out if r["topic"] == "crp.escalations"}
        check(set(opened) <= escalated, f"the valid records opened their challenges ({sorted(set(opened) - escalated)} missing)")

        leaks = []
        for r in out:
            where = f"{r['topic']}[{r['partition']}]@{r['offset']}"
            for what in find_markers(r["key"] or ""):
                leaks.append(f"{what} in the key of {where}")
            for k, v in r["headers"].items():
                for what in find_markers(k + "=" + v):
                    leaks.append(f"{what} in header {k} of {where}")
            if r["topic"] != "crp.dlq":  # a dead letter's value is the input, unchanged
                for what in find_markers(r["value"]):
                    leaks.append(f"{what} in the value of {where}")
        log_lines = adapter.log_path.read_text().splitlines()
        for n, line in enumerate(log_lines, 1):
            for what in find_markers(line):
                leaks.append(f"{what} in log line {n}: {line[:300]}")
        for path, text in metric_text:
            for what in find_markers(text):
                leaks.append(f"{what} in the admin API's {path}")
        bodies = receiver.received()
        for r in bodies:
            for what in find_markers(r.body):
                leaks.append(f"{what} in the body of webhook {r.webhook_id}")
            for k, v in r.headers.items():
                for what in find_markers(f"{k}: {v}"):
                    leaks.append(f"{what} in header {k} of webhook {r.webhook_id}")
        check(not leaks, f"no marker in {len(out)} records of {len(topics)} topics (keys, headers, values but the "
                         f"dead letters' values), {len(log_lines)} log lines, {samples_n} metric samples "
                         f"({labels_n} labels) and {len(metric_text) - 1} API answers, {len(bodies)} webhook "
                         f"requests (bodies and headers)" + (f": {leaks[:8]}" if leaks else ""))

        # The board report from crp.facts: no marker, no case id, owner-only files.
        case_ids = set()

        def collect(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "case_id" and isinstance(x, str) and x:
                        case_ids.add(x)
                    collect(x)
            elif isinstance(v, list):
                for x in v:
                    collect(x)
        for r in out:
            if r["topic"] != "crp.dlq":
                try:
                    collect(json.loads(r["value"]))
                except ValueError:
                    pass
        report_dir = work / "report"
        rep = subprocess.run([args.adapter, "report", "--config", config, "--from", "2025-01-01",
                              "--to", f"{time.gmtime().tm_year + 1}-12-31", "--records", "--out", str(report_dir)],
                             capture_output=True, text=True, timeout=120)
        kinds = [json.loads(r["value"]).get("fact") for r in out if r["topic"] == "crp.facts"]
        stage_n = sum(k != "challenge.closed" for k in kinds)
        check(rep.returncode == 0 and stage_n > 0 and f"({stage_n} stage facts read)" in rep.stdout,
              f"the report read the {stage_n} stage facts on crp.facts: {rep.stdout.strip()} {rep.stderr[-800:]}")
        report_files = sorted(report_dir.iterdir()) if report_dir.is_dir() else []
        check([f.name for f in report_files] == ["report.csv", "report.html", "summary.csv"],
              f"the report wrote report.csv, report.html, summary.csv ({[f.name for f in report_files]})")
        check(report_dir.is_dir() and stat.S_IMODE(report_dir.stat().st_mode) == 0o700, "the report's directory is 0700")
        report_leaks = []
        for f in report_files:
            text = f.read_text()
            mode = stat.S_IMODE(f.stat().st_mode)
            if mode != 0o600:
                report_leaks.append(f"{f.name} is mode {oct(mode)}")
            report_leaks += [f"{what} in {f.name}" for what in find_markers(text)]
            report_leaks += [f"case id {c} in {f.name}" for c in sorted(case_ids) if c in text]
            if "case_id" in text:
                report_leaks.append(f"a case_id field in {f.name}")
        check(case_ids and not report_leaks,
              f"no marker and none of the {len(case_ids)} case ids in the {len(report_files)} report files, each 0600"
              + (f": {report_leaks[:8]}" if report_leaks else ""))

        # Dead letters keep the input only as long as configured: the service created crp.dlq with retention.ms.
        retention = topic_setting(broker.bootstrap, "crp.dlq", "retention.ms")
        check(retention == str(DLQ_RETENTION_DAYS * 86400000),
              f"the service created crp.dlq with retention.ms={DLQ_RETENTION_DAYS * 86400000} ({retention})")
        # The headers the service adds (__connect.errors.*) are its own, once each, and hold no marker,
        # even where the input carried headers of those names holding markers.
        raw = dlq_header_lists(broker.bootstrap)
        service_headers = [(k, v) for hs in raw for k, v in hs if k.startswith("__connect.errors.")]
        repeated = [hs for hs in raw if len([k for k, _ in hs if k.startswith("__connect.errors.")])
                    != len({k for k, _ in hs if k.startswith("__connect.errors.")})]
        marked = [f"{k}: {what}" for k, v in service_headers for what in find_markers(v)]
        check(len(raw) == len(dlq) and not repeated and not marked,
              f"{len(raw)} dead letters: no __connect.errors.* header repeated ({len(repeated)}) or holding a "
              f"name or concern ({marked[:4]}) among {len(service_headers)} the service added")

        # What the partner may receive, and that it was signed with the secret from the environment.
        check(not set(ALLOWED_FIELDS) & PERSONAL_FIELDS, "the partner's allowlist holds no personal field")
        fields = {k for r in bodies for k in json.loads(r.body).get("data", {})}
        check(fields <= set(ALLOWED_FIELDS), f"webhook data holds allowlisted fields only ({sorted(fields)})")
        problems = signature_problems(bodies, secret)
        check(bodies and not problems, f"{len(bodies)} webhooks verified by standardwebhooks ({problems[:2]})")

        h.say(NAME, f"scanned {len(out)} records on {len(topics)} topics ({len(dlq)} dead letters), "
                    f"{len(log_lines)} log lines, {samples_n} metric samples, {len(metric_text) - 1} API answers, "
                    f"{len(bodies)} webhook requests; {len(sent)} inputs sent; "
                    f"{time.monotonic() - started:.1f} s")
        if check.failures:
            h.say(NAME, f"FAIL: {len(check.failures)} checks failed; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed")
        return 0
    except Exception:
        h.say(NAME, f"work dir {work}")
        raise
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        if receiver:
            receiver.stop()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
