#!/usr/bin/env python3
"""Writes a deterministic set of canonical input records across all five
protocols for the report test: challenges raised at different stages, escalated
by rejection or by the chair, left to pass their deadlines, resolved, withdrawn
or exhausted, closing on both sides of the report's period.

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
                  "categories": rng.sample(CATEGORIES, rng.randrange(0, 3))}
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
    records.sort(key=lambda r: (r["value"]["occurred_at"], r["key"], r["value"]["event_id"]))
    with open(args.out, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
