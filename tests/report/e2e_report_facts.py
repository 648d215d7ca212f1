#!/usr/bin/env python3
"""The board report against a real broker: `crp-adapter run` (event clock)
processes generated challenges across the five protocols and publishes their
facts to crp.facts; `crp-adapter report --config` then reads that topic
(read_committed, to its end). Its summary must equal the report made offline
from `replay` output of the same input, and its fact count must equal what an
independent read_committed consumer (confluent-kafka) finds on crp.facts.

  tests/integration/e2e_run.sh tests/report/e2e_report_facts.py --adapter BIN [--port 18500]
"""
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
import e2e_harness as h  # noqa: E402

NAME = "e2e_report_facts"
PARTITIONS = 3


def summary(path):
    with open(path, newline="") as f:
        return {(r["measure"], r["key"]): r["value"] for r in csv.DictReader(f)}


def main():
    args = h.arguments(__doc__, 18500).parse_args()
    work = Path(tempfile.mkdtemp(prefix="crp-e2e-report-"))
    events = work / "events.jsonl"
    subprocess.run([sys.executable, HERE / "generate_events.py", events, "--challenges", "40"], check=True)
    records = h.canonical_records(events.read_text().splitlines(), "e2e")
    records.sort(key=h.occurred_at)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    inputs = records + h.clock_records(PARTITIONS, final)
    check = h.Checks(NAME)

    broker = h.Broker(args.port).start()
    adapter = None
    try:
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log").start()
        h.produce(broker.bootstrap, inputs)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME)
        live = h.read_committed(broker.bootstrap, ["crp.facts"])
        live_facts = [json.loads(r["value"]) for r in live if not r["key"].startswith("__clock")]

        replayed = h.run_replay(args.adapter, config, inputs, until, work)
        offline = work / "replay.jsonl"
        offline.write_text("".join(json.dumps(l) + "\n" for l in replayed
                                   if not l["key"].startswith("__clock")))
        period = ["--from", "2027-01-01", "--to", "2027-12-31"]
        r = subprocess.run([args.adapter, "report", "--config", config, *period, "--out", work / "live"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"report from the topic: exit {r.returncode} {r.stderr[-1500:]}")
        o = subprocess.run([args.adapter, "report", "--input", offline, *period, "--out", work / "offline"],
                           capture_output=True, text=True, timeout=120)
        check(o.returncode == 0, f"report --input: exit {o.returncode} {o.stderr[-1500:]}")
        replay_facts = [l for l in replayed if l["topic"] == "crp.facts" and not l["key"].startswith("__clock")]
        check(len(live_facts) == len(replay_facts) > 10,
              f"{len(live_facts)} facts on the topic, {len(replay_facts)} in replay output")
        check(len({f["challenge_id"] for f in live_facts}) == len(live_facts), "one fact per challenge on the topic")
        if r.returncode == 0 and o.returncode == 0:
            live_summary, offline_summary = summary(work / "live" / "summary.csv"), summary(work / "offline" / "summary.csv")
            check(live_summary == offline_summary, "summary.csv from the topic equals the offline one; differences: "
                  f"{set(live_summary.items()) ^ set(offline_summary.items())}")
            check(live_summary.get(("total", "closed")) == str(len(live_facts)),
                  f"report counted {live_summary.get(('total', 'closed'))} of {len(live_facts)} facts")
            check((work / "live" / "report.html").read_bytes() == (work / "offline" / "report.html").read_bytes(),
                  "report.html from the topic equals the offline one, byte for byte")
        rc = adapter.stop()
        check(rc == 0, f"adapter exit {rc}")
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)
    if check.failures:
        h.say(NAME, f"{len(check.failures)} check(s) failed; work dir {work}")
        print(f"{NAME}: 0 passed, 1 failed")
        return 1
    print(f"{NAME}: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
