#!/usr/bin/env python3
"""A seeded two-year history (2027 and 2028) for the what-if test, and the
working-day calendar the test computes its expectations with, independently of
the service's own.

Calderdale challenges are raised at Stage 1 and answered (resolved) on their
k-th working day, k from 1 to 7; many are raised in the week before a bank
holiday (Easter, the May and August Mondays, Christmas), so a deadline is only
right when the holiday is skipped. Some are escalated by the chair on their
first working day and resolved at Stage 2. Bradford, Rotherham, Walsall and the
IRO protocol get challenges answered on time and late as well; only Calderdale
changes in the test's variant. Every raising carries a child's name in free
text (NAME_MARKER) and a case id (CASE-8xxxxx): neither may reach an output.

  history.py OUT.jsonl [--seed S]      (the plan: import history; plan(seed))
"""
import argparse
import json
import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import england_calendar  # noqa: E402

LONDON = ZoneInfo("Europe/London")
NAME_MARKER = "ZqWhatifChildName"

# England and Wales bank holidays of 2027 and 2028, from the statutory rules
# (tests/england_calendar.py), and 1 January 2029, where a late answer can reach.
BANK_HOLIDAYS = england_calendar.bank_holidays(2027) | england_calendar.bank_holidays(2028) | {date(2029, 1, 1)}

FIRST_DAY = date(2027, 1, 4)
LAST_DAY = date(2028, 12, 15)
UNTIL = "2029-02-01T00:00:00Z"  # every deadline of the history has fallen by then


def working(d):
    return d.weekday() < 5 and d not in BANK_HOLIDAYS


def working_day_after(d, k):
    """The k-th working day after date d."""
    while k > 0:
        d += timedelta(days=1)
        if working(d):
            k -= 1
    return d


def utc(d, hour, minute=0):
    return datetime.combine(d, time(hour, minute), LONDON).astimezone(ZoneInfo("UTC"))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def raising_day(rng):
    """A working day; two in five in the working week before a bank holiday."""
    while True:
        if rng.random() < 0.4:
            holiday = rng.choice(sorted(h for h in BANK_HOLIDAYS if FIRST_DAY < h <= LAST_DAY))
            d = holiday - timedelta(days=rng.randrange(1, 8))
        else:
            d = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
        if working(d) and FIRST_DAY <= d <= LAST_DAY:
            return d


# protocol: (stage raised at, answer days k: working days, or calendar days for Walsall)
OTHERS = {
    "bradford": ("stage1", range(1, 9)),
    "rotherham": ("stage1", range(2, 14)),
    "walsall": ("stage1", range(1, 11)),
    "iro-cp-lac": ("level1", range(3, 13)),
}


def plan(seed=20270104, calderdale=180, others=50):
    """Every challenge of the history: protocol, raising date, answer day k
    (the k-th working day after raising; Walsall: calendar days), and whether
    the chair escalated it on its first working day (Calderdale)."""
    rng = random.Random(seed)
    challenges = []
    for n in range(calderdale):
        chair = rng.random() < 0.15
        challenges.append({"id": f"WIF-CAL-{n:04d}", "protocol": "calderdale", "stage": "stage1",
                           "raised_on": raising_day(rng), "chair_escalated": chair,
                           "k": rng.randrange(2, 7) if chair else rng.randrange(1, 8)})
    for protocol, (stage, days) in OTHERS.items():
        for n in range(others):
            challenges.append({"id": f"WIF-{protocol.upper()[:3]}-{n:04d}", "protocol": protocol,
                               "stage": stage, "raised_on": raising_day(rng), "chair_escalated": False,
                               "k": rng.choice(list(days)), "duty_late": rng.random() < 0.3})
    return challenges


def records(challenges):
    out = []
    for n, c in enumerate(challenges):
        seq = 0

        def event(kind, when, **fields):
            nonlocal seq
            seq += 1
            value = {"type": kind, "event_id": f"{c['id']}-{seq:02d}", "occurred_at": iso(when),
                     "challenge_id": c["id"], "case_id": f"CASE-{800000 + n}",
                     "protocol": c["protocol"], **fields}
            out.append({"topic": "crp.commands", "key": c["id"], "value": value})

        raised = c["raised_on"]
        event("challenge.raised", utc(raised, 10), stage=c["stage"],
              track="cp", agency="health_visiting", categories=["quality_of_assessment"],
              summary=f"Plan for {NAME_MARKER} {n} not progressing")
        if c["chair_escalated"]:
            event("challenge.escalated", utc(working_day_after(raised, 1), 11))
        if c["protocol"] == "rotherham":
            # The chair's form on day 1, or late: the day before the answer.
            form_day = working_day_after(raised, c["k"] - 1 if c["duty_late"] else 1)
            event("duty.completed", utc(form_day, 9), duty="stage1_form")
        if c["protocol"] == "walsall":
            answered = raised + timedelta(days=c["k"])
        else:
            answered = working_day_after(raised, c["k"])
        event("challenge.resolved", utc(answered, 12))
    out.sort(key=lambda r: (r["value"]["occurred_at"], r["key"], r["value"]["event_id"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20270104)
    args = ap.parse_args()
    with open(args.out, "w") as f:
        for r in records(plan(args.seed)):
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
