#!/usr/bin/env python3
"""docs/protocols.md's worked sixth authority, taken from the page itself, loaded
next to the shipped config and replayed: a protocol is data, and the guide's
dates and rules are what the engine does.

usage: sixth_authority_test.py CRP_ADAPTER REPO
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def protocol_from_guide(repo):
    page = (repo / "docs" / "protocols.md").read_text()
    block = re.search(r"```json sixth-authority\n(.*?)```", page, re.S)
    if not block:
        sys.exit("docs/protocols.md has no ```json sixth-authority block")
    return json.loads(block.group(1))


def raised(cid, at, **extra):
    value = {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": at,
             "challenge_id": cid, "case_id": "EB-" + cid, "protocol": "example-borough", **extra}
    return {"topic": "crp.commands", "key": cid, "value": value}


def main():
    binary, repo = sys.argv[1], Path(sys.argv[2])
    work = Path(tempfile.mkdtemp(prefix="crp-sixth-"))
    protocol = protocol_from_guide(repo)
    (work / "example-borough.json").write_text(json.dumps(protocol))
    config = json.loads((repo / "config" / "crp-adapter.json").read_text())
    base = repo / "config"
    config["calendar"]["file"] = str(base / config["calendar"]["file"])
    config["protocols"] = [str(work / "example-borough.json")]
    config["directory"] = {"file": str(base / config["directory"]["file"]),
                           "roles": {"chair": "chairs@borough.example",
                                     "team_manager": "team.managers@borough.example",
                                     "service_manager": "service.managers@borough.example",
                                     "head_of_safeguarding": "hos.safeguarding@borough.example"}}
    config["webhooks"] = {"partners": str(base / config["webhooks"]["partners"])}
    config["agencies"] = {"file": str(base / config["agencies"]["file"])}
    # The guide's authority runs the canonical input only (the shipped LCS, Mosaic
    # and Debezium inputs need the five shipped protocols).
    config["inputs"] = [i for i in config["inputs"] if i["connector"] == "canonical"]
    (work / "service.json").write_text(json.dumps(config))

    def rejected(cid, at):
        r = raised(cid, at)
        r["value"].update(type="challenge.response_rejected", event_id=f"{cid}-2")
        return r

    events = [raised("EB-1", "2027-03-19T10:00:00Z"),
              raised("EB-2", "2027-03-19T11:00:00Z", stage="service_manager_review",
                     immediate_risk=True),
              raised("EB-3", "2027-03-19T12:00:00Z"),
              rejected("EB-3", "2027-03-22T10:00:00Z"),  # before the alert is recorded
              rejected("EB-1", "2027-04-01T10:00:00Z")]
    (work / "in.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    run = subprocess.run([binary, "replay", "--config", str(work / "service.json"), "--input",
                          str(work / "in.jsonl"), "--until", "2027-04-30T00:00:00Z"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"replay exited {run.returncode}: {run.stderr}")
    out = [json.loads(line) for line in run.stdout.splitlines()]
    lifecycle = [(r["key"], r["value"]["type"], r["value"].get("stage"), r["value"].get("due_at"),
                  r["value"].get("duty")) for r in out if r["topic"] == "crp.escalations"]
    failures = []

    def expect(what, ok):
        if not ok:
            failures.append(what)

    # 5 working days after Friday 19 March 2027, skipping Good Friday and Easter Monday.
    expect("alert due Tuesday 30 March",
           ("EB-1", "challenge.stage_started", "alert", "2027-03-30T16:00:00Z", None) in lifecycle)
    # Escalated on 1 April: 10 days is Sunday 11 April -> Monday 12th.
    expect("service manager due Monday 12 April",
           ("EB-1", "challenge.stage_started", "service_manager_review", "2027-04-12T16:00:00Z",
            None) in lifecycle)
    # EB-3 escalated before its alert was recorded: the stage's duty ends with the stage.
    expect("duty superseded on escalation",
           any(l[:3] == ("EB-3", "duty.superseded", "alert") and l[4] == "alert_recorded"
               for l in lifecycle))
    expect("no overdue duty after escalation",
           not any(l[:2] == ("EB-3", "duty.overdue") for l in lifecycle))
    expect("the duty does fall due when nothing happens",
           ("EB-1", "duty.overdue", "alert", "2027-03-23T17:00:00Z", "alert_recorded") in lifecycle)
    # At immediate risk: straight to the Service Manager, Head of Safeguarding alerted first.
    alerted = [i for i, l in enumerate(lifecycle) if l[:2] == ("EB-2", "challenge.immediate_risk_alerted")]
    started = [i for i, l in enumerate(lifecycle) if l[:3] == ("EB-2", "challenge.stage_started",
                                                                 "service_manager_review")]
    expect("immediate risk alerted before the stage starts", alerted and started and alerted[0] < started[0])
    expect("Head of Safeguarding emailed",
           any(r["topic"] == "crp.notifications.email" and r["key"] == "EB-2"
               and r["value"]["email_address"] == "hos.safeguarding@borough.example" for r in out))
    if failures:
        sys.exit("sixth authority: " + "; ".join(failures) + "\n" + run.stdout)
    print(f"ok sixth authority: {len(out)} records, {len(lifecycle)} lifecycle events")


if __name__ == "__main__":
    main()
