#!/usr/bin/env python3
"""Runs one protocol scenario through `crp-adapter replay` and checks it.

A scenario is three files in tests/scenarios/<protocol>/:
  NAME.scenario.json  {"seed": the sentence it checks, "until": ISO8601 or null,
                       "expect": [partial records that must appear, in order],
                       "absent": [partial records that must not appear],
                       "absent_text": [strings that must appear nowhere],
                       "calendar_changes": [{"at": ISO8601, "add_holidays": {division: [dates]}}]}
  NAME.in.jsonl       the input records, as they would arrive on Kafka
  NAME.out.jsonl      the exact expected output (golden; regenerate with --update
                      and review the diff)
The `expect` list states the seed's rule directly, so a wrong golden cannot hide it.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def calendar_change_options(spec, config, workdir):
    """replay's --calendar-change for each change: the config's calendar plus the dates added."""
    if not spec.get("calendar_changes"):
        return []
    calendar = Path(config).parent / json.loads(Path(config).read_text())["calendar"]["file"]
    options = []
    for n, change in enumerate(spec["calendar_changes"]):
        data = json.loads(calendar.read_text())
        for division, dates in change["add_holidays"].items():
            data[division]["events"] += [
                {"title": "One-off bank holiday", "date": d, "notes": "", "bunting": True} for d in dates]
        changed = Path(workdir) / f"calendar-{n}.json"
        changed.write_text(json.dumps(data))
        options += ["--calendar-change", f"{change['at']}={changed}"]
    return options


def matches(actual, expected):
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(actual[k], v) for k, v in expected.items())
    return actual == expected


def main():
    binary, config, scenario = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    update = "--update" in sys.argv
    if update and os.environ.get("CRP_UNDER_CTEST"):  # writing then comparing would always pass
        sys.exit("--update refused under ctest (CRP_UNDER_CTEST): run run_scenario.py by hand to update")
    spec = json.loads(scenario.read_text())
    base = str(scenario).removesuffix(".scenario.json")
    cmd = [binary, "replay", "--config", config, "--input", base + ".in.jsonl"]
    if spec.get("until"):
        cmd += ["--until", spec["until"]]
    with tempfile.TemporaryDirectory() as workdir:
        cmd += calendar_change_options(spec, config, workdir)
        runs = [subprocess.run(cmd, capture_output=True, text=True) for _ in range(2)]
    for r in runs:
        if r.returncode != 0:
            sys.exit(f"replay exited {r.returncode}: {r.stderr}")
    if runs[0].stdout != runs[1].stdout:
        sys.exit("replay output differs between two runs (not deterministic)")
    out = runs[0].stdout
    lines = [json.loads(l) for l in out.splitlines()]

    # The seed's rule: each expected partial record appears, in this order.
    i = 0
    for n, want in enumerate(spec["expect"]):
        while i < len(lines) and not matches(lines[i], want):
            i += 1
        if i == len(lines):
            sys.exit(f"{scenario.name}: expectation {n} not met (in order): {json.dumps(want)}\n"
                     f"seed: {spec['seed']}\noutput:\n{out}")
        i += 1
    for want in spec.get("absent", []):
        hit = [l for l in lines if matches(l, want)]
        if hit:
            sys.exit(f"{scenario.name}: must not appear: {json.dumps(want)}\nfound: {json.dumps(hit[0])}")

    # Text that must appear nowhere, e.g. a name given with a contact.
    for text in spec.get("absent_text", []):
        if text in out:
            sys.exit(f"{scenario.name}: must not appear anywhere: {text!r}")
    golden = Path(base + ".out.jsonl")
    if update:
        golden.write_text(out)
        print(f"updated {golden}")
    elif not golden.exists() or golden.read_text() != out:
        expected = golden.read_text().splitlines() if golden.exists() else []
        got = out.splitlines()
        for k in range(max(len(expected), len(got))):
            e = expected[k] if k < len(expected) else "<none>"
            g = got[k] if k < len(got) else "<none>"
            if e != g:
                sys.exit(f"{scenario.name}: golden differs at line {k + 1}\nexpected: {e}\nactual:   {g}")
    print(f"ok {scenario.name}: {len(lines)} records, {len(spec['expect'])} expectations")


if __name__ == "__main__":
    main()
