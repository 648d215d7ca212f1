#!/usr/bin/env python3
"""A calendar update applied live, once (docs/decisions/0060), on a real broker:
  1. `run` (wall clock) holds open Rotherham challenges: one raised now (its Stage 1
     response "within 10 working days" and its form "within three working days"),
     one raised four days ago, one raised nine days ago;
  2. the calendar file is rewritten with a broken division: after SIGHUP it is
     refused (log names file, pointer and reason; metric) and nothing moves;
  3. it is rewritten adding a one-off bank holiday on the 5th working day from today,
     and SIGHUP: exactly the open deadlines whose window holds that day move, each
     with one challenge.deadline_changed and one email, equal to what
     `replay --calendar-change` computes for the same records;
  4. the adapter restarts on the new file: no deadline_changed is written again,
     and a challenge raised after the restart is counted under the new calendar;
  5. a second holiday is added while the adapter is stopped: at the restart exactly
     the open deadlines after it move, once (the changelog keeps the calendar each
     partition was counted under), and a further restart moves nothing.
"""
import json
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import e2e_harness as h

NAME = "e2e_calendar_update"
DAY = 86400
TEMPLATE = "6f1c2a52-0c3e-4d2b-9a8e-0b1c2d3e4f60"  # deadline_changed in config/crp-adapter.json


def raised(cid, at):
    return {"topic": h.INPUT, "key": cid, "headers": {},
            "value": {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": h.iso(at),
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": "rotherham",
                      "agency": "school"}}


def holidays():
    data = json.loads((h.REPO / "config" / "calendars" / "bank-holidays.json").read_text())
    return data, {e["date"] for e in data["england-and-wales"]["events"]}


def fifth_working_day(today, known):
    day, n = today, 0
    while n < 5:
        day += timedelta(days=1)
        if day.weekday() < 5 and day.isoformat() not in known:
            n += 1
    return day


def moved(escalations):
    """The deadline_changed events as comparable tuples (not their instant: the
    live one is when SIGHUP arrived)."""
    return sorted((key, v.get("deadline"), v.get("duty", ""), v["previous_due_at"], v["due_at"])
                  for key, v in escalations if v["type"] == "challenge.deadline_changed")


def committed(bootstrap, topic):
    return [(r["key"], json.loads(r["value"])) for r in h.read_committed(bootstrap, [topic])]


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args) as t:
        check, bootstrap = t.check, t.bootstrap
        data, known = holidays()
        calendar, original = t.work / "bank-holidays.json", t.work / "original-bank-holidays.json"
        calendar.write_text(json.dumps(data))
        original.write_text(json.dumps(data))
        config = t.config({"commit_interval_ms": 100}, calendar={"file": str(calendar)})
        # replay starts from the calendar the service started with
        before = t.config({"commit_interval_ms": 100}, file="before.json", calendar={"file": str(original)})
        now = int(time.time())
        one_off = fifth_working_day(datetime.fromtimestamp(now, timezone.utc).date(), known)
        records = [raised("CAL-NOW", now), raised("CAL-4D", now - 4 * DAY), raised("CAL-9D", now - 9 * DAY)]

        adapter = t.adapter(config, instance="calendar")
        h.produce(bootstrap, records)
        h.wait_consumed(bootstrap, adapter, 60, NAME)

        # A broken file is refused and changes nothing.
        calendar.write_text(json.dumps({**data, "england-and-wales": {"division": "england-and-wales"}}))
        adapter.proc.send_signal(signal.SIGHUP)
        refused = h.eventually(
            lambda: [l for l in h.current_run(adapter.log_lines())
                     if l.get("message") == "calendar file refused: the calendar in use stays"],
            bool, 20, adapter, name=NAME)
        check(refused and refused[0].get("file") == str(calendar) and refused[0].get("pointer") == "/england-and-wales"
              and refused[0].get("reason"), f"a broken calendar is refused naming file, pointer and reason: {refused[:1]}")
        port = h.admin_port(adapter, name=NAME)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        check('crp_calendar_reloads_total{result="refused"} 1' in metrics, "the refusal is counted")

        # The one-off holiday, by SIGHUP.
        changed = json.loads(json.dumps(data))
        changed["england-and-wales"]["events"].append(
            {"title": "One-off bank holiday", "date": one_off.isoformat(), "notes": "", "bunting": True})
        calendar.write_text(json.dumps(changed))
        changed_at = int(time.time())
        adapter.proc.send_signal(signal.SIGHUP)

        # What replay computes for the same records and the same change.
        replay_input = t.work / "replay.jsonl"
        replay_input.write_text("".join(json.dumps({k: r[k] for k in ("topic", "key", "value")}) + "\n"
                                        for r in records))
        at = h.iso(changed_at)
        out = subprocess.run([args.adapter, "replay", "--config", before, "--input", str(replay_input),
                              "--until", at, "--calendar-change", f"{at}={calendar}"],
                             capture_output=True, text=True)
        check(out.returncode == 0, f"replay with --calendar-change ran: {out.stderr[-500:]}")
        lines = [json.loads(l) for l in out.stdout.splitlines()]
        want = moved([(l["key"], l["value"]) for l in lines if l["topic"] == "crp.escalations"])
        got = h.eventually(lambda: moved(committed(bootstrap, "crp.escalations")), lambda g: len(g) >= len(want),
                           30, adapter, every=0.5, name=NAME)
        check(want and got == want, f"exactly the deadlines replay moves, once: live {got}, replay {want}")
        check(("CAL-NOW", "response") in {(k, d) for k, d, *_ in got}
              and not any(k == "CAL-NOW" and d == "duty" for k, d, *_ in got),
              f"the holiday on {one_off} moves CAL-NOW's response, not its three-day form")
        check(all(new > old for *_, old, new in got), "every moved deadline is later")
        emails = [v for _, v in committed(bootstrap, "crp.notifications.email") if v.get("template_id") == TEMPLATE]
        check(len(emails) == len(got), f"one email per moved deadline: {len(emails)} for {len(got)}")
        check(not h.log_errors(adapter) or all(l.get("message", "").startswith("calendar file refused")
                                               for l in h.log_errors(adapter)),
              "no error log lines but the refusal")
        check(adapter.stop() == 0, "clean stop")

        # Restarted on the new file: nothing is moved again; new challenges count with the holiday.
        later = t.adapter(config, "adapter2.log", instance="calendar")
        fresh = raised("CAL-AFTER", int(time.time()))
        h.produce(bootstrap, [fresh])
        h.wait_consumed(bootstrap, later, 60, NAME)
        time.sleep(6)  # past the first file check
        again = moved(committed(bootstrap, "crp.escalations"))
        check(again == got, f"no deadline_changed after the restart: {len(again)} against {len(got)}")
        started = [v for k, v in committed(bootstrap, "crp.escalations")
                   if k == "CAL-AFTER" and v["type"] == "challenge.stage_started"]
        replay_input.write_text(json.dumps({k: fresh[k] for k in ("topic", "key", "value")}) + "\n")
        def due_under(service_config):
            out = subprocess.run([args.adapter, "replay", "--config", service_config, "--input", str(replay_input)],
                                 capture_output=True, text=True)
            return [json.loads(l)["value"]["due_at"] for l in out.stdout.splitlines()
                    if json.loads(l)["topic"] == "crp.escalations"][0]
        with_holiday, without = due_under(config), due_under(before)
        check(started and started[0]["due_at"] == with_holiday != without,
              f"a challenge raised after the restart counts the holiday: due {started[:1]}, {with_holiday} "
              f"with it, {without} without")
        check(later.stop() == 0, "clean stop after the restart")
        check(not h.log_errors(later), "no error log lines after the restart")

        # 5. Changed while the service is stopped: a second one-off holiday, two working days
        # later. The changelog keeps the calendar each partition was counted under, so the
        # restart recounts from it: the open deadlines whose window holds the new day move,
        # once, and a further restart moves nothing.
        second = fifth_working_day(one_off, known | {one_off.isoformat()})
        changed["england-and-wales"]["events"].append(
            {"title": "Second one-off bank holiday", "date": second.isoformat(), "notes": "", "bunting": True})
        calendar.write_text(json.dumps(changed))
        restarted = t.adapter(config, "adapter3.log", instance="calendar")
        noticed = h.eventually(
            lambda: [l for l in restarted.log_lines()
                     if l.get("message") == "partition state counted under another calendar file: "
                                            "recounting its open deadlines"],
            bool, 60, restarted, name=NAME)
        check(noticed, "the restart found state counted under the previous file")
        after_stop = h.eventually(lambda: moved(committed(bootstrap, "crp.escalations")),
                                  lambda g: len(g) > len(again), 30, restarted, every=0.5, name=NAME)
        new_moves = [m for m in after_stop if m not in again]
        check(new_moves and all(old[:10] >= second.isoformat() and new > old for *_, old, new in new_moves)
              and ("CAL-NOW", "response") in {(k, d) for k, d, *_ in new_moves}
              and ("CAL-AFTER", "response") in {(k, d) for k, d, *_ in new_moves},
              f"the holiday on {second}, added while stopped, moves the open deadlines after it "
              f"(CAL-NOW's and CAL-AFTER's responses among them): {new_moves}")
        emails = [v for _, v in committed(bootstrap, "crp.notifications.email") if v.get("template_id") == TEMPLATE]
        check(len(emails) == len(after_stop), f"one email per moved deadline: {len(emails)} for {len(after_stop)}")
        check(restarted.stop() == 0 and not h.log_errors(restarted), "clean stop, no error lines")
        final = t.adapter(config, "adapter4.log", instance="calendar")
        # A partition is brought up to the file before its first record: once a record of this
        # run is committed, any recount would be too.
        h.produce(bootstrap, [raised("CAL-LAST", int(time.time()))])
        h.wait_consumed(bootstrap, final, 60, NAME)
        check(moved(committed(bootstrap, "crp.escalations")) == after_stop,
              "a further restart moves nothing")
        check(final.stop() == 0, "clean stop at the end")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
