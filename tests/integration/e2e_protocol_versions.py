#!/usr/bin/env python3
"""A protocol revision rolled out under open challenges (docs/decisions/0061), on a
real broker; nothing is lost:
  1. `run` under the shipped protocols (all version 1) holds open Rotherham challenges
     at Stage 1, Stage 2 and Stage 3, and a Calderdale one at its informal stage;
  2. the revision: Rotherham version 2 renames Stage 2 and Stage 3 and declares how
     version 1 moves (Stage 2 -> its new Stage 2; Stage 1 keeps its id), and
     version 1 is withdrawn; Calderdale version 2 (Stage 1 in 3 working days, not 5)
     declares no migration, so both Calderdale versions are loaded (and version 1's
     file was edited in place: its open challenge is named, and `run` says so).
     `check-config --changelog` lists, before the deployment, the two challenges
     that move and the one that would be quarantined, and fails;
  3. deployed: the two move (challenge.protocol_migrated, once, and /v1 shows version 2);
     the one at the vanished Stage 3 is quarantined: challenge.quarantined on
     crp.operations, the crp_challenges_quarantined metric, visible in /v1, and its next
     event dead-lettered with the reason; Calderdale's finishes under version 1, while a
     new Calderdale challenge starts under version 2;
  4. restarted: no challenge moves twice; then deployed with Rotherham version 1 back
     (and a version 2 without the migration), the quarantined challenge runs again,
     as it was.
"""
import json
import subprocess
import sys
import time

import e2e_harness as h
from e2e_admin import Admin, metrics, total

NAME = "e2e_protocol_versions"
TOKEN = "e2e-protocol-versions-token"
PROTOCOLS = h.REPO / "config" / "protocols"


def event(kind, cid, protocol, at, n, **extra):
    return {"topic": h.INPUT, "key": cid, "headers": {},
            "value": {"type": kind, "event_id": f"{cid}-{n}", "occurred_at": h.iso(at),
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": protocol,
                      "agency": "school", **extra}}


def revised(name, replace, version, migrations=None, edit=None):
    """A protocol file of `name` with stage ids replaced, as `version`."""
    text = (PROTOCOLS / f"{name}.json").read_text()
    for old, new in replace.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    doc = json.loads(text)
    doc["version"] = version
    if migrations:
        doc["migrations"] = migrations
    if edit:
        edit(doc)
    return doc


def stage1_in_three_days(doc):
    for s in doc["stages"]:
        if s["id"] == "stage1":
            s["response"]["deadline"]["amount"] = 3


def retitled(doc):
    doc["title"] += " (edited)"


def committed(bootstrap, topic):
    return [(r["key"], json.loads(r["value"])) for r in h.read_committed(bootstrap, [topic])]


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args) as t:
        check, bootstrap, work = t.check, t.bootstrap, t.work
        token_file = work / "admin-token"
        token_file.write_text(TOKEN + "\n")
        files = {}
        for tag, doc in {
            "rotherham-v2": revised("rotherham", {"stage2": "stage2_hos", "stage3": "stage3_panel"}, 2,
                                    [{"from_version": 1, "stages": {"stage2": "stage2_hos"}}]),
            "rotherham-v2-no-migration": revised("rotherham", {"stage2": "stage2_hos", "stage3": "stage3_panel"}, 2),
            "calderdale-v2": revised("calderdale", {}, 2, edit=stage1_in_three_days),
            # Version 1 edited in place (not given a new version): its open challenge is named.
            "calderdale-v1-edited": revised("calderdale", {}, 1, edit=retitled),
        }.items():
            files[tag] = work / f"{tag}.json"
            files[tag].write_text(json.dumps(doc, indent=2))
        shipped = json.loads((h.REPO / "config" / "crp-adapter.json").read_text())["protocols"]
        shipped = [str(h.REPO / "config" / p) for p in shipped]
        rotherham_v1 = str(PROTOCOLS / "rotherham.json")
        others = [p for p in shipped if not p.endswith(("/rotherham.json", "/calderdale.json"))]
        others.append(str(files["calderdale-v1-edited"]))
        runtime = {"commit_interval_ms": 100, "create_topics": True}
        admin = {"bind": "127.0.0.1:0", "token_file": str(token_file), "rate_limit_per_s": 1000}

        def config(file, protocols):
            return t.config(runtime, file=file, protocols=protocols, admin=admin)

        before = config("before.json", shipped)
        revision = config("revision.json", others + [str(files["rotherham-v2"]), str(files["calderdale-v2"])])
        restored = config("restored.json", others + [rotherham_v1, str(files["rotherham-v2-no-migration"]),
                                                     str(files["calderdale-v2"])])
        assert sum("calderdale" in p for p in json.loads(open(revision).read())["protocols"]) == 2

        # 1. Open challenges under version 1.
        now = int(time.time())
        h.produce(bootstrap, [
            event("challenge.raised", "ROT-S1", "rotherham", now, 1),
            event("challenge.raised", "ROT-S2", "rotherham", now, 1, stage="stage2"),
            event("challenge.raised", "ROT-S3", "rotherham", now, 1, stage="stage3"),
            event("challenge.raised", "CAL-OLD", "calderdale", now, 1, stage="stage1"),
        ])
        first = t.adapter(before, "before.log", instance="versions")
        h.wait_consumed(bootstrap, first, 90, NAME)
        v1 = Admin(h.admin_port(first, name=NAME))
        status, body, _ = v1.get("/v1/challenges/ROT-S2", TOKEN)
        check(status == 200 and json.loads(body)["protocol_version"] == 1, f"/v1 shows version 1 first: {body[:200]}")
        check(first.stop() == 0, "clean stop before the revision")

        # 2. Before deploying: what the revision would do to the open challenges.
        out = subprocess.run([args.adapter, "check-config", "--config", revision, "--changelog"],
                             capture_output=True, text=True, timeout=120)
        lines = out.stdout.splitlines()
        check(out.returncode == 3 and "moves: ROT-S1 rotherham version 1 stage stage1 -> version 2 stage stage1" in lines
              and "moves: ROT-S2 rotherham version 1 stage stage2 -> version 2 stage stage2_hos" in lines
              and any(l.startswith("quarantined: ROT-S3 rotherham version 1 stage stage3: ") for l in lines)
              and "edited in place: CAL-OLD calderdale version 1: its file changed since the challenge was counted "
                  "under it" in lines
              and not any("CAL-OLD" in l and not l.startswith("edited in place") for l in lines)
              and "1 open challenge in the changelog would be quarantined" in out.stderr,
              f"check-config --changelog lists the moves and the quarantine, and fails (exit {out.returncode}): "
              f"{out.stdout}{out.stderr[-400:]}")
        check(lines and lines[-1].startswith("changelog crp.state.changelog: 4 open challenges: 1 run as before, "
                                             "2 move to a newer protocol version, 1 would be quarantined; 1 under "
                                             "a protocol version edited in place"),
              f"and sums them up: {lines[-1:]}")

        # 3. Deployed.
        second = t.adapter(revision, "revision.log", instance="versions")
        api = Admin(h.admin_port(second, name=NAME))
        h.eventually(lambda: api.get("/readyz")[0], lambda s: s == 200, 90, second, name=NAME)
        later = int(time.time())
        h.produce(bootstrap, [
            event("challenge.response_received", "ROT-S3", "rotherham", later, 2),
            event("challenge.escalated", "ROT-S2", "rotherham", later, 2),
            event("challenge.escalated", "CAL-OLD", "calderdale", later, 2),
            event("challenge.raised", "CAL-NEW", "calderdale", later, 1, stage="stage1"),
        ])
        h.wait_consumed(bootstrap, second, 90, NAME)
        escalations = h.eventually(lambda: committed(bootstrap, "crp.escalations"),
                                   lambda e: sum(v["type"] == "challenge.stage_started" for _, v in e) >= 6,
                                   30, second, every=0.5, name=NAME)
        migrated = sorted((k, v["from_stage"], v["stage"], v["previous_protocol_version"], v["protocol_version"])
                          for k, v in escalations if v["type"] == "challenge.protocol_migrated")
        check(migrated == [("ROT-S1", "stage1", "stage1", 1, 2), ("ROT-S2", "stage2", "stage2_hos", 1, 2)],
              f"the two mapped challenges moved, each announced once: {migrated}")
        started = {(k, v["stage"]) for k, v in escalations if v["type"] == "challenge.stage_started"}
        check(("ROT-S2", "stage3_panel") in started, "ROT-S2 escalates along version 2's route (stage3_panel)")
        check(("CAL-OLD", "stage2") in started, "CAL-OLD, finishing under version 1, escalates to its stage2")
        check(not any(k == "ROT-S3" for k, v in escalations if v["type"] not in ("challenge.stage_started",)
                      and v["occurred_at"] >= h.iso(later)),
              "nothing ran for the quarantined challenge")
        operations = h.eventually(lambda: committed(bootstrap, "crp.operations"),
                                  lambda o: any(v.get("type") == "challenge.quarantined" for _, v in o),
                                  30, second, every=0.5, name=NAME)
        notice = [v for k, v in operations if v.get("type") == "challenge.quarantined"]
        check(len(notice) == 1 and notice[0]["challenge_id"] == "ROT-S3" and notice[0]["stage"] == "stage3"
              and notice[0]["protocol_version"] == 1 and "stage3" in notice[0]["reason"]
              and "case_id" not in notice[0],
              f"challenge.quarantined on crp.operations, without the case reference: {notice}")
        dead = [r for r in h.read_committed(bootstrap, ["crp.dlq"]) if r["key"] == "ROT-S3"]
        reasons = [r["headers"].get("__connect.errors.exception.class.name") for r in dead]
        check(reasons == ["crp.ChallengeQuarantined"],
              f"the quarantined challenge's event is dead-lettered with the reason: {reasons}")
        m = metrics(api)
        check(total(m, "crp_challenges_quarantined", protocol="rotherham") == 1, "crp_challenges_quarantined 1")
        status, body, _ = api.get("/v1/challenges?quarantined=true", TOKEN)
        listed = json.loads(body) if status == 200 else {}
        check(listed.get("count") == 1 and listed["challenges"][0]["id"] == "ROT-S3"
              and listed["challenges"][0]["quarantined"] is True and listed["challenges"][0]["quarantine_reason"],
              f"/v1 lists it as quarantined with the reason: {body[:300]}")
        views = {cid: json.loads(api.get(f"/v1/challenges/{cid}", TOKEN)[1]) for cid in ("ROT-S2", "CAL-OLD", "CAL-NEW")}
        check(views["ROT-S2"]["protocol_version"] == 2 and views["CAL-OLD"]["protocol_version"] == 1
              and views["CAL-NEW"]["protocol_version"] == 2,
              f"versions in /v1: ROT-S2 {views['ROT-S2']['protocol_version']}, CAL-OLD "
              f"{views['CAL-OLD']['protocol_version']}, CAL-NEW {views['CAL-NEW']['protocol_version']}")
        edited = [l for l in second.log_lines() if l.get("message", "").startswith("protocol versions changed in place")]
        check(edited and all(l.get("versions") == "calderdale@1" for l in edited),
              f"run says which version was edited in place: {[l.get('versions') for l in edited]}")
        check(second.stop() == 0, "clean stop after the revision")
        check(not h.log_errors(second), "no error log lines")

        # 4. Restarted: nothing moves twice. Then Rotherham version 1 is back: ROT-S3 runs again.
        third = t.adapter(revision, "again.log", instance="versions")
        h.eventually(lambda: Admin(h.admin_port(third, name=NAME)).get("/readyz")[0], lambda s: s == 200, 90,
                     third, name=NAME)
        # A restored move is announced with the first transaction after the restore: once an
        # event of this run is committed, any second announcement would be too.
        h.produce(bootstrap, [event("challenge.escalated", "ROT-S1", "rotherham", int(time.time()), 3)])
        h.eventually(lambda: committed(bootstrap, "crp.escalations"),
                     lambda e: any(k == "ROT-S1" and v["type"] == "challenge.stage_started"
                                   and v.get("stage") == "stage2_hos" for k, v in e),
                     30, third, every=0.5, name=NAME)
        again = [k for k, v in committed(bootstrap, "crp.escalations") if v["type"] == "challenge.protocol_migrated"]
        check(sorted(again) == ["ROT-S1", "ROT-S2"], f"no challenge moved twice: {again}")
        check(third.stop() == 0, "clean stop")
        fourth = t.adapter(restored, "restored.log", instance="versions")
        api = Admin(h.admin_port(fourth, name=NAME))
        h.eventually(lambda: api.get("/readyz")[0], lambda s: s == 200, 90, fourth, name=NAME)
        status, body, _ = api.get("/v1/challenges/ROT-S3", TOKEN)
        view = json.loads(body) if status == 200 else {}
        check(status == 200 and view.get("stage") == "stage3" and view.get("protocol_version") == 1
              and "quarantined" not in view,
              f"with its version loaded again, ROT-S3 runs as it was: {body[:300]}")
        check(total(metrics(api), "crp_challenges_quarantined") == 0, "nothing quarantined")
        check(fourth.stop() == 0, "clean stop")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
