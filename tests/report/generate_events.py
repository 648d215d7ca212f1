#!/usr/bin/env python3
"""Writes a deterministic set of canonical input records across all five
protocols for the report test: challenges raised at different stages, escalated
by rejection or by the chair, left to pass their deadlines, resolved, withdrawn
or exhausted, closing on both sides of the report's period; some Rotherham
challenges climb to Stage 4 late in June and stay open past it; Walsall's
coordinators note good (some exemplary) practice for two teams. Every raising
event carries a child's name in its free-text summary (NAME_MARKER) and a case
id (CASE-7xxxxx): neither may reach a report file.

  generate_events.py OUT.jsonl [--challenges N] [--seed S]
"""
import argparse
import json
import random
from datetime import datetime, timedelta, timezone

PROTOCOLS = {
    # id: (start stages, tracks, duties by stage)
    "bradford": (["stage1", "stage2", "stage3"], ["cp"], {}),
    "rotherham": (["stage1", "stage2", "stage3"], ["cp"],
                  {"stage1": ["stage1_form"], "stage2": ["stage2_form"],
                   "stage3": ["director_notified", "stage3_form"]}),
    "walsall": (["informal", "stage1", "stage2", "stage3"], ["cp"], {}),
    "calderdale": (["informal", "stage1", "dissent"], ["cp"], {}),
    "iro-cp-lac": (["level1", "level2", "stage1"], ["cp", "lac"], {}),
}
AGENCIES = ["childrens_social_care", "health_visiting", "Police Public Protection Unit", "Primary School",
            'Adult Mental Health Service, "North" locality', "Community Paediatrics"]
CATEGORIES = ["core_groups_not_held", "failure_to_recognise_risk", "quality_of_assessment",
              "report_not_shared_before_conference", "missed_statutory_visits", "plan_not_implemented"]
START = datetime(2027, 1, 4, 10, 0, tzinfo=timezone.utc)
NAME_MARKER = "ZqReportChildName"  # a child's name in free text: never in a report file
TEAMS = ["Walsall North Locality Team 2", "Walsall South CP Team"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--challenges", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20270401)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    records = []
    ids = sorted(PROTOCOLS)
    for n in range(args.challenges):
        protocol = ids[n % len(ids)]
        starts, tracks, duties = PROTOCOLS[protocol]
        cid = f"RPT-{protocol.upper()[:3]}-{n:04d}"
        case = f"CASE-{700000 + n}"
        t = START + timedelta(days=rng.randrange(0, 200), hours=rng.randrange(0, 6))
        seq = 0

        def event(kind, when, **fields):
            nonlocal seq
            seq += 1
            value = {"type": kind, "event_id": f"{cid}-{seq:03d}", "occurred_at": iso(when),
                     "challenge_id": cid, "case_id": case, "protocol": protocol, **fields}
            records.append({"topic": "crp.commands", "key": cid, "value": value})

        stage = rng.choice(starts)
        raised = {"track": rng.choice(tracks), "agency": rng.choice(AGENCIES),
                  "categories": rng.sample(CATEGORIES, rng.randrange(0, 3)),
                  "summary": f"Plan for {NAME_MARKER} {n} not progressing"}
        if stage == "dissent":
            event("conference.dissent_raised", t, **raised)
        else:
            event("challenge.raised", t, stage=stage, **raised)
        # Rotherham: the chair's forms, sometimes on time, sometimes late.
        for duty in duties.get(stage, []):
            if rng.random() < 0.7:
                event("duty.completed", t + timedelta(days=rng.choice([1, 2, 6])), duty=duty)
        t += timedelta(days=1, hours=1)
        # Rotherham Stage 4 needs Stages 1-3 exhausted: push some up there.
        climbs = 3 if protocol == "rotherham" and n % 3 == 0 else rng.choice([0, 0, 1, 1, 2])
        for _ in range(climbs):
            t += timedelta(days=rng.choice([2, 4, 9, 16]))
            event(rng.choice(["challenge.response_rejected", "challenge.escalated"]), t)
        t += timedelta(days=rng.choice([1, 3, 8, 15, 30]))
        ending = rng.choices(["challenge.resolved", "challenge.response_accepted", "challenge.withdrawn",
                              "challenge.response_rejected"], [5, 3, 2, 1])[0]
        event(ending, t)

    # Rotherham challenges that reach Stage 4 at the end of June, one left open
    # past the period (Stage 4 starts counted with the open ones).
    for k, ending in enumerate([None, "challenge.resolved", None]):
        cid, case, seq = f"RPT-R4-{k:04d}", f"CASE-{710000 + k}", 0
        t = datetime(2027, 6, 1 + 3 * k, 9, 0, tzinfo=timezone.utc)

        def event(kind, when, **fields):
            nonlocal seq
            seq += 1
            value = {"type": kind, "event_id": f"{cid}-{seq:03d}", "occurred_at": iso(when),
                     "challenge_id": cid, "case_id": case, "protocol": "rotherham", **fields}
            records.append({"topic": "crp.commands", "key": cid, "value": value})
        event("challenge.raised", t, stage="stage1", track="cp", agency=AGENCIES[k], categories=[],
              summary=f"{NAME_MARKER} R4 {k}")
        for _ in range(3):
            t += timedelta(days=5)
            event("challenge.escalated", t)
        if ending:
            event(ending, t + timedelta(days=2))

    # Walsall good-practice notes (each its own record), some exemplary.
    for k in range(args.challenges // 4):
        cid = f"RPT-GP-{k:04d}"
        t = START + timedelta(days=rng.randrange(0, 240), hours=rng.randrange(0, 6))
        value = {"type": "good_practice.noted", "event_id": f"{cid}-001", "occurred_at": iso(t),
                 "challenge_id": cid, "case_id": f"CASE-{720000 + k}", "protocol": "walsall",
                 "team": TEAMS[k % 2], "exemplary": rng.random() < 0.3, "agency": "childrens_social_care"}
        records.append({"topic": "crp.commands", "key": cid, "value": value})
    records.sort(key=lambda r: (r["value"]["occurred_at"], r["key"], r["value"]["event_id"]))
    with open(args.out, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
