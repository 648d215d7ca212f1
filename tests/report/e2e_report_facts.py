#!/usr/bin/env python3
"""The board report against a real broker: `crp-adapter run` (event clock)
processes generated challenges across the five protocols and publishes their
facts to crp.facts (several per challenge: stages started, deadlines met and
missed, good-practice notes, the closing); `crp-adapter report --config` then
reads that topic (read_committed, to its end). Its summary and page must equal
the report made offline from `replay` output of the same input; the facts must
equal what an independent read_committed consumer (confluent-kafka) finds on
crp.facts, and every figure of summary.csv (with `report.suppress_below: 0`)
must equal what this test computes itself from those facts (report_expect.py):
closed, open and overdue at the period end, the trend by month, missed deadlines,
each protocol's monitored counts. With the default suppression, figures from 1
to 4 read "<5".

  tests/integration/e2e_run.sh tests/report/e2e_report_facts.py --adapter BIN [--port 18500]
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
import e2e_harness as h  # noqa: E402
import report_expect as rx  # noqa: E402

NAME = "e2e_report_facts"
PARTITIONS = 3
PERIOD = ("2027-01-01", "2027-12-31")


def summary(path):
    with open(path, newline="") as f:
        return {(r["measure"], r["key"]): r["value"] for r in csv.DictReader(f)}


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args, PARTITIONS) as t:
        work, broker, check = t.work, t.broker, t.check
        events = work / "events.jsonl"
        subprocess.run([sys.executable, HERE / "generate_events.py", events, "--challenges", "40"], check=True)
        records = h.canonical_records(events.read_text().splitlines(), "e2e")
        records.sort(key=h.occurred_at)
        clock, until = h.day_after(records, PARTITIONS)
        inputs = records + clock
        inputs_only = [{"topic": h.INPUT, "connector": "canonical"}]  # the topics this broker has
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100}, inputs=inputs_only,
                                report={"authority": "Example Authority", "suppress_below": 0})
        default = h.write_config(work / "service-default.json", broker.bootstrap,
                                 {"clock": "event", "commit_interval_ms": 100}, inputs=inputs_only)
        adapter = t.adapter(config)
        h.produce(broker.bootstrap, inputs)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        live = h.read_committed(broker.bootstrap, ["crp.facts"])
        # The clock records raise Rotherham challenges too: they are facts like any other.
        live_facts = [json.loads(r["value"]) for r in live]

        replayed = h.run_replay(args.adapter, config, inputs, until, work)
        offline = work / "replay.jsonl"
        offline.write_text("".join(json.dumps(l) + "\n" for l in replayed))
        period = ["--period", "2027"]
        r = subprocess.run([args.adapter, "report", "--config", config, *period, "--out", work / "live"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"report from the topic: exit {r.returncode} {r.stderr[-1500:]}")
        o = subprocess.run([args.adapter, "report", "--config", config, "--input", offline, *period,
                            "--out", work / "offline"], capture_output=True, text=True, timeout=120)
        check(o.returncode == 0, f"report --input: exit {o.returncode} {o.stderr[-1500:]}")
        d = subprocess.run([args.adapter, "report", "--config", default, "--input", offline, *period,
                            "--out", work / "default"], capture_output=True, text=True, timeout=120)
        check(d.returncode == 0, f"report with the default suppression: exit {d.returncode} {d.stderr[-1500:]}")
        replay_facts = [l["value"] for l in replayed if l["topic"] == "crp.facts"]
        key = lambda f: json.dumps(f, sort_keys=True)  # noqa: E731
        check(sorted(map(key, live_facts)) == sorted(map(key, replay_facts)),
              f"the {len(live_facts)} facts on the topic are the {len(replay_facts)} of replay output")
        closed, stage_facts = rx.facts_of(live_facts)
        check(len(closed) == sum(f["fact"] == "challenge.closed" for f in live_facts) > 10,
              f"one closed fact per challenge on the topic ({len(closed)})")
        check(len(stage_facts) + len(closed) == len(live_facts), "every fact on the topic is distinct")
        check(not [f for f in live_facts if "case_id" in f], "no fact carries case_id")
        e = rx.expected(closed, stage_facts, PERIOD, rx.protocol_reports(h.REPO / "config" / "crp-adapter.json"))
        if r.returncode == 0 and o.returncode == 0:
            live_summary, offline_summary = summary(work / "live" / "summary.csv"), summary(work / "offline" / "summary.csv")
            check(live_summary == offline_summary, "summary.csv from the topic equals the offline one; differences: "
                  f"{set(live_summary.items()) ^ set(offline_summary.items())}")
            want = {("total", "closed"): str(e["total"]), ("as_at_end", "open"): str(len(e["open_ids"])),
                    ("as_at_end", "overdue"): str(len(e["overdue_ids"])), ("report", "data_as_at"): e["data_as_at"]}
            for k, m in e["monitored"].items():
                want[("monitored", k)] = str(m["value"])
                if m["open"] is not None:
                    want[("monitored_open", k)] = str(m["open"])
            for month, row in e["months"].items():
                for col in ("raised", "closed", "missed"):
                    want[(f"month_{col}", month)] = str(row[col])
                want[("month_open_at_end", month)] = str(row["open"])
            for measure, chart in [("open_by_protocol", "open"), ("overdue_by_protocol", "overdue"),
                                   ("missed_by_agency", "missed_agency"), ("missed_by_protocol", "missed_protocol"),
                                   ("protocol", "protocol"), ("stage_reached", "stage")]:
                for k, v in e[chart].items():
                    want[(measure, k)] = str(v)
            got = {k: live_summary.get(k) for k in want}
            check(got == want, "summary.csv from the topic holds the figures computed from its facts: "
                               f"{ {k: (got[k], v) for k, v in want.items() if got[k] != v} }")
            check(e["total"] > 10 and e["open_ids"] and e["overdue_ids"]
                  and all(m["value"] for m in e["monitored"].values()),
                  f"every figure means something: {e['total']} closed, {len(e['open_ids'])} open, "
                  f"{len(e['overdue_ids'])} overdue, monitored {[(k, m['value']) for k, m in e['monitored'].items()]}")
            check((work / "live" / "report.html").read_bytes() == (work / "offline" / "report.html").read_bytes(),
                  "report.html from the topic equals the offline one, byte for byte")
        if d.returncode == 0:
            suppressed = summary(work / "default" / "summary.csv")
            single = {("as_at_end", "open"): len(e["open_ids"]), ("as_at_end", "overdue"): len(e["overdue_ids"])}
            for k, m in e["monitored"].items():
                single[("monitored", k)] = m["value"]
                if m["open"] is not None:
                    single[("monitored_open", k)] = m["open"]
            for month, row in e["months"].items():
                single[("month_open_at_end", month)] = row["open"]
            wrong = {k: (suppressed.get(k), v) for k, v in single.items() if suppressed.get(k) != rx.shown(v, 5)}
            check(not wrong, f"with the default suppression, single figures from 1 to 4 read <5: {wrong}")
            check("<5" in suppressed.values(), "the default suppression shows <5 somewhere")
        rc = adapter.stop()
        check(rc == 0, f"adapter exit {rc}")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
