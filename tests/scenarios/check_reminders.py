#!/usr/bin/env python3
"""Checks every reminder in the scenario and connector goldens against a
calendar computed here, independently of the adapter's calendar code and of
its bank-holidays.json.

For each challenge.response_due_soon / duty.due_soon on crp.escalations:
  * it falls on the working day N working days before its deadline's local
    date (N from the protocol file's `reminders`, stage first, default 1),
    England and Wales bank holidays and weekends skipped, Europe/London time;
  * at the deadline's own local clock time (across a clock change too);
  * it is the only reminder of that deadline in the golden;
  * its email (the record after it on crp.notifications.email) names the
    deadline's local date.
A scenario's `calendar_changes` (replay --calendar-change) add their England and
Wales dates for reminders sent at or after the change.
Usage: check_reminders.py [GOLDEN.out.jsonl ...]  (default: every golden)
Exits 1 listing every reminder that fails; prints how many it checked.
"""
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from england_calendar import is_working_day  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
TYPES = ("challenge.response_due_soon", "duty.due_soon")


def instant(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def reminder_days(protocol_id, stage_id, cache={}):
    if protocol_id not in cache:
        cache[protocol_id] = json.loads((ROOT / "config/protocols" / f"{protocol_id}.json").read_text())
    p = cache[protocol_id]
    for s in p["stages"]:
        if s["id"] == stage_id and "reminders" in s:
            return s["reminders"]["working_days_before"]
    return p.get("reminders", {}).get("working_days_before", 1)


def added_holidays(path, at):
    """The one-off dates the scenario's calendar changes added by `at`."""
    spec = path.with_name(path.name.replace(".out.jsonl", ".scenario.json"))
    if not spec.exists():
        return set()
    return {dt.date.fromisoformat(d) for c in json.loads(spec.read_text()).get("calendar_changes", [])
            if instant(c["at"]) <= at for d in c["add_holidays"].get("england-and-wales", [])}


def working_days_back(d, n, added):
    while n > 0:
        d -= dt.timedelta(days=1)
        if is_working_day(d) and d not in added:
            n -= 1
    return d


def check(path):
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    problems, checked, seen = [], 0, set()
    for i, rec in enumerate(records):
        v = rec.get("value", {})
        if rec.get("topic") != "crp.escalations" or v.get("type") not in TYPES:
            continue
        checked += 1
        where = f"{path.relative_to(ROOT)}:{i + 1}"
        due = instant(v["due_at"]).astimezone(LONDON)
        at = instant(v["occurred_at"]).astimezone(LONDON)
        n = reminder_days(v["protocol"], v["stage"])
        want_day = working_days_back(due.date(), n, added_holidays(path, instant(v["occurred_at"])))
        if at.date() != want_day:
            problems.append(f"{where}: reminder on {at.date()}, expected {want_day} "
                            f"({n} working day(s) before {due.date()})")
        if at.time() != due.time():
            problems.append(f"{where}: reminder at {at.time()} local, deadline at {due.time()}")
        key = (rec["key"], v["type"], v.get("stage"), v.get("duty"), v["due_at"])
        if key in seen:
            problems.append(f"{where}: a second reminder of the same deadline")
        seen.add(key)
        email = next((r for r in records[i + 1:] if r.get("topic") == "crp.notifications.email"
                      and r.get("key") == rec["key"]), None)
        if email is None or email["value"]["personalisation"].get("due_date") != due.date().isoformat():
            problems.append(f"{where}: no email naming the due date {due.date()} follows")
    return checked, problems


def main():
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted(
        list((ROOT / "tests/scenarios").glob("*/*.out.jsonl")) +
        list((ROOT / "tests/connectors").glob("**/*.out.jsonl")))
    total, problems = 0, []
    for p in paths:
        n, bad = check(p)
        total += n
        problems += bad
    for line in problems:
        print(line)
    print(f"{total} reminders checked in {len(paths)} goldens, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
