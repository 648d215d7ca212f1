#!/usr/bin/env python3
"""`crp-adapter whatif` on a generated two-year history (history.py): the
shipped configuration against a variant whose Calderdale Stage 1 answers in 3
working days instead of 5.

  whatif_test.py --adapter BIN --config config/crp-adapter.json --work DIR

Asserted, with figures computed here from the history's plan and an
independent England and Wales working-day calendar (history.py):
* Calderdale, under each configuration: a challenge answered after its Stage 1
  deadline (working day 5, or 3) has one overdue deadline and is escalated to
  Stage 2, where it closes; escalations, overdue deadlines, challenges closed
  and median working days to resolution per stage and in total are exactly the
  expected ones, so the challenges answered on working days 4 and 5 are the
  difference. Many deadlines of the history straddle a bank holiday.
* Every other protocol's rows are the same under both, and not all zero;
  Bradford's Stage 1 overdue count is the challenges answered after day 5.
* The terminal table, --csv and --html carry the same figures; files are 0600;
  no child's name, case id or challenge id reaches any output.
* A variant with a mistake is refused (exit 3) naming its file and JSON
  pointer; an empty or unreadable history does not crash it; the same input
  gives the same bytes twice.
"""
import argparse
import csv
import html
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import history  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def run(adapter, *args):
    started = time.monotonic()
    r = subprocess.run([adapter, "whatif", *args], capture_output=True, text=True, timeout=120)
    return r, time.monotonic() - started


def absolute_config(config_path):
    """The service config as JSON with every file it names made absolute, so a
    copy can live outside config/."""
    base = config_path.parent
    cfg = json.loads(config_path.read_text())
    cfg["calendar"]["file"] = str(base / cfg["calendar"]["file"])
    cfg["protocols"] = [str(base / p) for p in cfg["protocols"]]
    for key in ("directory", "agencies"):
        if key in cfg and "file" in cfg[key]:
            cfg[key]["file"] = str(base / cfg[key]["file"])
    if "webhooks" in cfg and "partners" in cfg["webhooks"]:
        cfg["webhooks"]["partners"] = str(base / cfg["webhooks"]["partners"])
    for i in cfg.get("inputs", []):
        if "mapping" in i:
            i["mapping"] = str(base / i["mapping"])
    return cfg


def variant(config_path, work, stage1_amount):
    """The shipped config naming a copy of calderdale.json whose Stage 1 answers
    in `stage1_amount` working days."""
    cfg = absolute_config(config_path)
    original = next(p for p in cfg["protocols"] if p.endswith("calderdale.json"))
    protocol = json.loads(Path(original).read_text())
    stage1 = next(s for s in protocol["stages"] if s["id"] == "stage1")
    stage1["response"]["deadline"]["amount"] = stage1_amount
    protocol_file = work / "calderdale-stage1-3-days.json"
    protocol_file.write_text(json.dumps(protocol, indent=1))
    cfg["protocols"] = [str(protocol_file) if p == original else p for p in cfg["protocols"]]
    path = work / "variant.json"
    path.write_text(json.dumps(cfg, indent=1))
    return path, protocol_file


def median(values):
    return statistics.median(values) if values else None


def expected_calderdale(plan, deadline):
    """Per stage and in total: (escalations, overdue, closed, median working days)."""
    stage1_closed, stage2_closed = [], []
    escalations = overdue = 0
    for c in plan:
        if c["protocol"] != "calderdale":
            continue
        if c["chair_escalated"]:
            escalations += 1
            stage2_closed.append(c["k"])
        elif c["k"] > deadline:  # answered after the deadline: overdue, escalated on it
            escalations += 1
            overdue += 1
            stage2_closed.append(c["k"])
        else:
            stage1_closed.append(c["k"])
    rows = {"stage1": (escalations, overdue, len(stage1_closed), median(stage1_closed))}
    if stage2_closed:
        rows["stage2"] = (0, 0, len(stage2_closed), median(stage2_closed))
    rows["(all stages)"] = (escalations, overdue, len(stage1_closed) + len(stage2_closed),
                            median(stage1_closed + stage2_closed))
    return rows


def number(text):
    if text in ("", "-"):
        return None
    return float(text) if "." in text else int(text)


METRICS = ["escalations", "overdue", "closed", "median_working_days"]


def parse_table(stdout):
    """{(protocol, stage): {metric: (baseline, variant)}} from the terminal table."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\S+)\s+(\(all stages\)|\S+)((?:\s+\S+){12})(\s+\*)?$", line)
        if not m or m.group(1) == "protocol":
            continue
        cells = m.group(3).split()
        rows[(m.group(1), m.group(2))] = {
            metric: (number(cells[3 * i]), number(cells[3 * i + 1])) for i, metric in enumerate(METRICS)}
    return rows


def parse_csv(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["protocol"], r["stage"])] = {
                metric: (number(r[f"baseline_{metric}"]), number(r[f"variant_{metric}"])) for metric in METRICS}
    return rows


def parse_html(text):
    rows = {}
    for m in re.finditer(r'<tr data-protocol="([^"]*)" data-stage="([^"]*)"[^>]*>(.*?)</tr>', text):
        cells = dict(re.findall(r'<td class="([a-z_-]+)">([^<]*)</td>', m.group(3)))
        rows[(html.unescape(m.group(1)), html.unescape(m.group(2)))] = {
            metric: (number(cells[f"baseline-{metric}"]), number(cells[f"variant-{metric}"])) for metric in METRICS}
    return rows


def straddles_a_holiday(c, days):
    """Whether the first `days` working days after raising include a bank holiday
    on a weekday (so counting weekdays alone would give another deadline)."""
    d = c["raised_on"]
    end = history.working_day_after(d, days)
    while d < end:
        d = d.fromordinal(d.toordinal() + 1)
        if d in history.BANK_HOLIDAYS and d.weekday() < 5:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    config = Path(args.config).resolve()

    plan = history.plan()
    events = work / "history.jsonl"
    with open(events, "w") as f:
        for r in history.records(plan):
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    variant_path, variant_protocol = variant(config, work, 3)
    csv_path, html_path = work / "whatif.csv", work / "whatif.html"
    for p in (csv_path, html_path):
        if p.exists():
            p.unlink()

    r, seconds = run(args.adapter, "--config", str(config), "--variant", str(variant_path),
                     "--input", str(events), "--until", history.UNTIL,
                     "--csv", str(csv_path), "--html", str(html_path))
    print(f"whatif: {sum(1 for _ in open(events))} records under two configurations in {seconds:.2f} s")
    if not check(r.returncode == 0, f"whatif exited {r.returncode}: {r.stderr}"):
        return finish()
    print(r.stdout)
    check("dead letters: baseline 0, variant 0" in r.stdout, "the history has dead letters")
    table = parse_table(r.stdout)
    check(len(table) > 0, "the table has no rows")

    # The history is the one the brief asks for: late answers and answers on time over
    # bank holidays, across two years.
    cal = [c for c in plan if c["protocol"] == "calderdale" and not c["chair_escalated"]]
    between = [c for c in cal if 3 < c["k"] <= 5]
    check(len(between) >= 20, f"only {len(between)} Calderdale challenges answered on day 4 or 5")
    check(sum(straddles_a_holiday(c, 5) for c in cal) >= 20,
          "fewer than 20 Calderdale Stage 1 deadlines straddle a bank holiday")
    years = {c["raised_on"].year for c in plan}
    check(years == {2027, 2028}, f"the history covers {sorted(years)}")

    # Calderdale: exactly the expected figures under each configuration.
    baseline, shortened = expected_calderdale(plan, 5), expected_calderdale(plan, 3)
    for stage in sorted(set(baseline) | set(shortened)):
        got = table.get(("calderdale", stage))
        if not check(got is not None, f"no calderdale {stage} row in the table"):
            continue
        for i, metric in enumerate(METRICS):
            want = (baseline.get(stage, (0, 0, 0, None))[i], shortened.get(stage, (0, 0, 0, None))[i])
            check(got[metric] == want, f"calderdale {stage} {metric}: table {got[metric]}, expected {want}")
    s1 = table.get(("calderdale", "stage1"), {})
    if s1:
        check(s1["overdue"][1] - s1["overdue"][0] == len(between),
              f"the shorter Stage 1 adds {s1['overdue'][1] - s1['overdue'][0]} overdue deadlines, "
              f"want the {len(between)} answered on working day 4 or 5")
        check(s1["escalations"][1] - s1["escalations"][0] == len(between),
              "the shorter Stage 1 does not escalate exactly the challenges answered on day 4 or 5")
    check(not any(p == "calderdale" and s not in baseline and s not in shortened for p, s in table),
          f"calderdale rows beyond Stage 1 and 2: {[k for k in table if k[0] == 'calderdale']}")

    # Every other protocol: the same under both configurations, and not vacuously.
    others = {k: v for k, v in table.items() if k[0] != "calderdale"}
    check({p for p, _ in others} == set(history.OTHERS), f"protocols in the table: {sorted(others)}")
    for key, figures in others.items():
        for metric, (b, v) in figures.items():
            check(b == v, f"{key} {metric} changed under the variant: {b} -> {v}")
    check(sum(f["overdue"][0] for f in others.values()) > 0, "no other protocol has an overdue deadline")
    bradford = table.get(("bradford", "stage1"))
    late = sum(1 for c in plan if c["protocol"] == "bradford" and c["k"] > 5)
    check(bradford is not None and bradford["overdue"] == (late, late),
          f"bradford stage1 overdue {bradford and bradford['overdue']}, expected {late} under both")

    # The same figures in the table, the CSV and the HTML page.
    for name, path, parse in (("CSV", csv_path, parse_csv), ("HTML", html_path, parse_html)):
        if not check(path.exists(), f"--{name.lower()} wrote nothing"):
            continue
        check(os.stat(path).st_mode & 0o777 == 0o600, f"{path.name} is not 0600")
        got = parse(str(path) if parse is parse_csv else path.read_text())
        check(got == table, f"{name} figures differ from the table:\n{got}\n{table}")
    page = html_path.read_text() if html_path.exists() else ""
    check("<script" not in page and "http" not in page.split("</style>")[-1].replace(
        "http://www.w3.org", ""), "the HTML page has a script or fetches something")

    # Codes and counts only.
    outputs = r.stdout + r.stderr + (csv_path.read_text() if csv_path.exists() else "") + page
    for marker in (history.NAME_MARKER, "CASE-8", "WIF-"):
        check(marker not in outputs, f"{marker} reached whatif's output")

    # Deterministic: the same input gives the same bytes.
    again_csv = work / "again.csv"
    r2, _ = run(args.adapter, "--config", str(config), "--variant", str(variant_path),
                "--input", str(events), "--until", history.UNTIL, "--csv", str(again_csv))
    check(r2.stdout == r.stdout and again_csv.read_bytes() == csv_path.read_bytes(),
          "a second run gave other figures")

    # A variant with a mistake is refused with its file and JSON pointer.
    broken = json.loads(variant_protocol.read_text())
    next(s for s in broken["stages"] if s["id"] == "stage1")["response"]["deadline"]["amount"] = "three"
    broken_file = work / "calderdale-broken.json"
    broken_file.write_text(json.dumps(broken))
    cfg = json.loads(variant_path.read_text())
    cfg["protocols"] = [str(broken_file) if p == str(variant_protocol) else p for p in cfg["protocols"]]
    broken_config = work / "variant-broken.json"
    broken_config.write_text(json.dumps(cfg))
    r3, _ = run(args.adapter, "--config", str(config), "--variant", str(broken_config),
                "--input", str(events))
    check(r3.returncode == 3 and str(broken_file) in r3.stderr and "/stages/" in r3.stderr,
          f"a broken variant: exit {r3.returncode}, stderr {r3.stderr!r}")

    # No input crashes it.
    empty = work / "empty.jsonl"
    empty.write_text("")
    r4, _ = run(args.adapter, "--config", str(config), "--variant", str(variant_path), "--input", str(empty))
    check(r4.returncode == 0 and "no challenge reached a stage" in r4.stdout,
          f"empty history: exit {r4.returncode}: {r4.stdout} {r4.stderr}")
    garbage = work / "garbage.jsonl"
    garbage.write_bytes(b"\xff\xfe not json\n{\"topic\":\"crp.commands\",\"value\":{\"type\":\"challenge.raised\"}}\n"
                        b"[1,2]\n{\"topic\":\"crp.commands\",\"value\":\"{\\\"a\\\":" + b"[" * 5000 + b"\"}\n")
    r5, _ = run(args.adapter, "--config", str(config), "--variant", str(variant_path), "--input", str(garbage),
                "--until", history.UNTIL)
    check(r5.returncode == 0 and "dead letters: baseline 4, variant 4" in r5.stdout,
          f"unreadable history: exit {r5.returncode}: {r5.stdout} {r5.stderr}")
    r6, _ = run(args.adapter, "--config", str(config), "--variant", str(variant_path),
                "--input", str(work / "no-such-file.jsonl"))
    check(r6.returncode == 2, f"a missing input: exit {r6.returncode}")
    return finish()


def finish():
    for f in failures:
        print("FAIL:", f)
    print("whatif test:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
