#!/usr/bin/env python3
"""The board report end to end, offline, rendered by headless Chromium.

1. Generates challenges across the five protocols (generate_events.py: Rotherham
   ones that reach Stage 4, some still open at the period's end, Walsall
   good-practice notes, a child's name in free text, case ids) and runs them
   through `crp-adapter replay`; checks the facts on crp.facts against the
   lifecycle events of their challenges (every stage started, every deadline
   missed, every good-practice note, one closed fact per closed challenge, no
   case_id).
2. Runs `crp-adapter report --input ... --period 2027H1 --records` with
   `report.suppress_below: 0`, and computes every figure itself from the facts
   it fed (report_expect.py, from the definitions of decision 0046): the
   open/overdue view as at 30 June 2027, the trend by month, missed deadlines by
   agency and protocol, each protocol's monitored counts from its file
   (Rotherham's "Stage 4 Challenges", Walsall's good-practice notes, Calderdale's
   disputes raised and its half-yearly frequency), good-practice notes by team,
   the closed figures, data as at; summary.csv and report.csv must hold them.
3. Renders report.html in headless Chromium (Debian `chromium`) and reads the
   DOM: every tile, bar, monitored count and table cell must be the figure
   computed in 2; a PNG screenshot must not be blank.
4. The same report with the default suppression (5): single figures from 1 to 4
   read "<5" and no group lets a hidden cell be recovered from its total.
5. Minimisation: no report file holds the child's name, a case id or a case_id
   column; every file is mode 0600 and the directory the command made 0700;
   report.csv only with --records.
"""
import argparse
import csv
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import report_expect as rx  # noqa: E402
from generate_events import NAME_MARKER  # noqa: E402

PERIOD = ("2027-01-01", "2027-06-30")
AUTHORITY = "Example Metropolitan Borough Council"
TITLES = {
    "open": "Open at the period end, by protocol",
    "overdue": "Overdue at the period end, by protocol",
    "monitored": "What the protocols say is monitored",
    "months": "Trend by month",
    "missed_agency": "Missed deadlines by agency",
    "missed_protocol": "Missed deadlines by protocol",
    "outcome": "Outcomes",
    "protocol": "Challenges closed by protocol",
    "stage": "Highest stage reached",
    "agency": "Challenges closed by agency challenged",
    "theme": "Themes (categories of concern)",
    "resolution": "Time to resolution",
    "deadlines": "Deadlines met and missed",
    "good_practice": "Good-practice notes by team and month",
}
BAR_CHARTS = ["open", "overdue", "missed_agency", "missed_protocol", "outcome", "protocol", "stage", "agency",
              "theme", "resolution", "deadlines"]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=180, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} exited {r.returncode}\n{r.stderr[-3000:]}")
    return r


def test_config(base, path, **report):
    """The service config with absolute paths and a `report` section."""
    base = Path(base).resolve()
    config = json.loads(base.read_text())
    root = base.parent
    config["calendar"]["file"] = str(root / config["calendar"]["file"])
    config["protocols"] = [str(root / p) for p in config["protocols"]]
    for section in ("directory", "agencies"):
        if "file" in config.get(section, {}):
            config[section]["file"] = str(root / config[section]["file"])
    for i in config.get("inputs", []):
        if "mapping" in i:
            i["mapping"] = str(root / i["mapping"])
    config.pop("webhooks", None)  # no partner calls: the report does not need them
    if report:
        config["report"] = report
    else:
        config.pop("report", None)
    path.write_text(json.dumps(config, indent=2))
    return path


def check_facts_against_lifecycle(lines):
    """Every fact agrees with the lifecycle events (crp.escalations) of its challenge."""
    events, closed, stage, ids = defaultdict(list), {}, defaultdict(list), Counter()
    for line in lines:
        if line["topic"] == "crp.escalations":
            events[line["key"]].append(line["value"])
        elif line["topic"] == "crp.facts":
            v = line["value"]
            # A fact is its id, kind, deadline, stage and duty: the deadlines met at
            # closing share the closing event's fact_id (what the report de-duplicates by).
            ids[(v["fact_id"], v["fact"], v.get("deadline"), v.get("stage"), v.get("duty"))] += 1
            check("case_id" not in v, f"{v['fact_id']}: a fact carries case_id")
            check(v["fact_version"] == 2, f"{v['fact_id']}: fact_version {v['fact_version']}")
            if v["fact"] == "challenge.closed":
                check(line["key"] not in closed, f"two closed facts for {line['key']}")
                closed[line["key"]] = v
            else:
                stage[line["key"]].append(v)
    check(all(n == 1 for n in ids.values()), f"facts repeated: {[k for k, n in ids.items() if n > 1][:5]}")
    with_stages = {k for k, evs in events.items()
                   if any(e["type"] == "challenge.closed" for e in evs)
                   and any(e["type"] == "challenge.stage_started" for e in evs)}
    check(set(closed) == with_stages, f"closed facts for {sorted(set(closed) ^ with_stages)} do not match "
                                      "the closed challenges")
    for cid, evs in events.items():
        got = stage.get(cid, [])
        want_started = [(e["stage"], e["occurred_at"]) for e in evs if e["type"] == "challenge.stage_started"]
        check([(f["stage"], f["occurred_at"]) for f in got if f["fact"] == "stage.started"] == want_started,
              f"{cid}: stage.started facts != lifecycle stages {want_started}")
        want_missed = sorted((rx.MISSED_KINDS[e["type"]], e["occurred_at"]) for e in evs if e["type"] in rx.MISSED_KINDS)
        check(sorted((f["deadline"], f["occurred_at"]) for f in got if f["fact"] == "deadline.missed") == want_missed,
              f"{cid}: deadline.missed facts != overdue events {want_missed}")
        notes = [e["occurred_at"] for e in evs if e["type"] == "good_practice.noted"]
        check([f["occurred_at"] for f in got if f["fact"] == "good_practice.noted"] == notes,
              f"{cid}: good_practice.noted facts != lifecycle notes")
        starts = [f for f in got if f["fact"] == "stage.started"]
        check(sum(f["opens_challenge"] for f in starts) == (1 if starts else 0), f"{cid}: opens_challenge")
    for cid, f in closed.items():
        evs = events[cid]
        close = [e for e in evs if e["type"] == "challenge.closed"][0]
        kinds = Counter(e["type"] for e in evs)
        started = [e["stage"] for e in evs if e["type"] == "challenge.stage_started"]
        check(f["outcome"] == close["outcome"], f"{cid}: outcome {f['outcome']} != {close['outcome']}")
        check(f["closed_at"] == close["occurred_at"], f"{cid}: closed_at")
        check(f["stages_visited"] == started, f"{cid}: stages {f['stages_visited']} != {started}")
        check(f["deadlines"]["response"]["missed"] == kinds["challenge.response_overdue"], f"{cid}: response missed")
        check(f["deadlines"]["duty"]["missed"] == kinds["duty.overdue"], f"{cid}: duty missed")
        check(f["deadlines"]["process"]["missed"] == kinds["process.overdue"], f"{cid}: process missed")
        check(f["escalations"] == kinds["challenge.escalated"], f"{cid}: escalations")
        # A challenge's met facts add up to its closed fact (decision 0046).
        met = Counter(m["deadline"] for m in stage[cid] if m["fact"] == "deadline.met")
        check(all(met[k] == f["deadlines"][k]["met"] for k in ("response", "duty", "process")),
              f"{cid}: deadline.met facts {dict(met)} != the closed fact's {f['deadlines']}")


def png_size(path):
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None, 0
    return struct.unpack(">II", data[16:24]), len(data)


def chromium(binary, work, *args):
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={work / 'chromium-profile'}", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def rendered(browser, work, page):
    """The DOM Chromium built from `page`, parsed."""
    dom = chromium(browser, work, "--dump-dom", page.resolve().as_uri())
    if dom.returncode != 0 or "<html" not in dom.stdout:
        sys.exit(f"chromium --dump-dom failed ({dom.returncode}): {dom.stderr[-2000:]}")
    (work / f"{page.parent.name}.dom.html").write_text(dom.stdout)
    parsed = rx.ReportDom()
    parsed.feed(dom.stdout)
    return parsed, dom.stdout


def readable(code):
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def check_exact_dom(d, e, protocols):
    """Every figure in the DOM equals the one computed from the facts (no suppression)."""
    check(not [t for t in d.tags if t.startswith("external:") or t in ("script", "img", "link", "iframe")],
          f"external resources or script in the DOM: {[t for t in d.tags if ':' in t]}")
    for chart, title in TITLES.items():
        c = d.charts.get(chart)
        if check(c is not None, f"section {chart} missing"):
            check(c["title"] == title, f"section {chart}: title {c['title']!r} != {title!r}")
    for chart in BAR_CHARTS:
        c = d.charts.get(chart, {"bars": {}})
        want = {k: str(v) for k, v in e[chart].items()}
        got = {k: b["data-value"] for k, b in c["bars"].items()}
        check(got == want, f"chart {chart}: {got} != {want}")
        for key, bar in c["bars"].items():
            check(bar["value"] == bar["data-value"], f"chart {chart}/{key}: printed {bar['value']!r}")
            check(bar["label"].strip() != "", f"chart {chart}/{key}: no label")
    for key, bar in d.charts.get("theme", {"bars": {}})["bars"].items():
        check(bar["label"] == readable(key), f"theme label {bar['label']!r}")

    tiles = {"tile-total": str(e["total"]), "tile-open": str(len(e["open_ids"])),
             "tile-overdue": str(len(e["overdue_ids"])), "tile-missed": str(e["missed"])}
    check(d.tiles == tiles, f"tiles {d.tiles} != {tiles}")

    # The monitored counts, under each protocol's own label and quote.
    check(set(d.monitored) == set(e["monitored"]), f"monitored {sorted(d.monitored)} != {sorted(e['monitored'])}")
    for key, m in e["monitored"].items():
        got = d.monitored.get(key)
        if not got:
            continue
        check(got["data-value"] == got["figure"] == str(m["value"]),
              f"monitored {key}: {got['figure']!r} (data-value {got['data-value']!r}) != {m['value']}")
        check(got["label"] == m["label"], f"monitored {key}: label {got['label']!r} != {m['label']!r}")
        check(got["quote"].strip("\u201c\u201d") == m["quote"], f"monitored {key}: quote {got['quote']!r}")
        check(f"({m['title']})" in got["text"], f"monitored {key}: protocol title missing")
        want_open = None if m["open"] is None else str(m["open"])
        check(got["data-open"] == want_open and (want_open is None or got["open"] == want_open),
              f"monitored {key}: open at the end {got['data-open']!r}/{got['open']!r} != {want_open}")
    for pid, (title, frequency, quote) in e["frequencies"].items():
        check(any(f.startswith(f"Reporting frequency: {title}: {frequency}") and quote in f for f in d.frequencies),
              f"frequency of {pid} ({frequency}) not shown: {d.frequencies}")

    months = {m: {k: str(v) for k, v in row.items()} for m, row in e["months"].items()}
    check(d.months == months, f"months {d.months} != {months}")
    gp = {k: {"notes": str(n), "exemplary": str(x)} for k, (n, x) in e["good_practice"].items()}
    check(d.good_practice == gp, f"good practice {d.good_practice} != {gp}")
    check(d.authority == AUTHORITY, f"authority {d.authority!r}")
    check(d.data_as_at == e["data_as_at"], f"data as at {d.data_as_at!r} != {e['data_as_at']!r}")
    check(d.period == PERIOD, f"period {d.period}")


def check_summary(summary, e, below):
    one = lambda v: rx.shown(v, below)  # noqa: E731
    want = {("total", "closed"): one(e["total"]), ("as_at_end", "open"): one(len(e["open_ids"])),
            ("as_at_end", "overdue"): one(len(e["overdue_ids"])),
            ("report", "authority"): AUTHORITY, ("report", "data_as_at"): e["data_as_at"],
            ("report", "suppress_below"): str(below), ("period", "from"): PERIOD[0], ("period", "to"): PERIOD[1]}
    for key, m in e["monitored"].items():
        want[("monitored", key)] = one(m["value"])
        if m["open"] is not None:
            want[("monitored_open", key)] = one(m["open"])
    for month, row in e["months"].items():
        want[("month_open_at_end", month)] = one(row["open"])
        if not below:
            for col in ("raised", "closed", "missed"):
                want[(f"month_{col}", month)] = str(row[col])
    if not below:
        for measure, chart in [("open_by_protocol", "open"), ("overdue_by_protocol", "overdue"),
                               ("missed_by_agency", "missed_agency"), ("missed_by_protocol", "missed_protocol")]:
            for k, v in e[chart].items():
                want[(measure, k)] = str(v)
        for (team, month), (n, _) in e["good_practice"].items():
            want[("good_practice", f"{team}/{month}")] = str(n)
    got = {k: summary.get(k) for k in want}
    check(got == want, f"summary.csv (suppress_below {below}): "
                       f"{ {k: (got[k], v) for k, v in want.items() if got[k] != v} }")


def check_files(out, with_records, made_dir, case_ids):
    names = {"report.html", "summary.csv"} | ({"report.csv"} if with_records else set())
    check({p.name for p in out.iterdir()} == names, f"{out}: {sorted(p.name for p in out.iterdir())} != {sorted(names)}")
    for p in out.iterdir():
        mode = stat.S_IMODE(p.stat().st_mode)
        check(mode == 0o600, f"{p.name} is mode {oct(mode)}, not 0600")
        text = p.read_text()
        check(NAME_MARKER not in text, f"{p.name} holds the child's name")
        check("case_id" not in text, f"{p.name} names case_id")
        leaked = [c for c in case_ids if c in text]
        check(not leaked, f"{p.name} holds case ids {leaked[:3]}")
    if made_dir:
        mode = stat.S_IMODE(out.stat().st_mode)
        check(mode == 0o700, f"the directory the report made is mode {oct(mode)}, not 0700")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    started = time.monotonic()
    browser = shutil.which("chromium")
    if not browser:
        sys.exit("chromium is not installed (Debian package `chromium`; scripts/setup-deps installs it)")
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.umask(0o022)  # so 0600 and 0700 are the command's doing

    events = work / "events.jsonl"
    run([sys.executable, HERE / "generate_events.py", events, "--challenges", "60"])
    inputs = [json.loads(l) for l in events.read_text().splitlines()]
    case_ids = sorted({r["value"]["case_id"] for r in inputs})
    check(all(NAME_MARKER in r["value"]["summary"] for r in inputs if r["value"]["type"] == "challenge.raised"),
          "the generated challenges carry the child's name in free text")
    exact = test_config(args.config, work / "service-exact.json", authority=AUTHORITY, suppress_below=0)
    default = test_config(args.config, work / "service-default.json", authority=AUTHORITY)
    replayed = run([args.adapter, "replay", "--config", exact, "--input", events,
                    "--until", "2028-01-01T00:00:00Z"]).stdout
    (work / "replay.jsonl").write_text(replayed)
    lines = [json.loads(l) for l in replayed.splitlines()]
    check_facts_against_lifecycle(lines)
    closed, stage_facts = rx.facts_of(lines)
    protocols = rx.protocol_reports(args.config)
    e = rx.expected(closed, stage_facts, PERIOD, protocols)

    # The input is rich enough for every figure to mean something.
    check(5 < e["total"] < len(closed), f"the period keeps some closed facts and leaves some out "
                                        f"({e['total']} of {len(closed)})")
    check(0 < len(e["overdue_ids"]) < len(e["open_ids"]), f"open {len(e['open_ids'])}, overdue "
                                                          f"{len(e['overdue_ids'])} at the period end")
    for key in ("rotherham/stage4_challenges", "walsall/good_practice_notes", "calderdale/challenges_raised"):
        check(e["monitored"].get(key, {}).get("value", 0) > 0, f"monitored {key} is 0: the test would be vacuous")
    r4 = e["monitored"].get("rotherham/stage4_challenges", {})
    check(0 < (r4.get("open") or 0) < r4.get("value", 0),
          f"Rotherham Stage 4 starts include open and closed ones ({r4})")
    check(e["frequencies"].get("calderdale", ("", ""))[1] == "half_yearly", "Calderdale reports half-yearly")
    check(any(x for _, x in e["good_practice"].values()), "some good-practice notes are exemplary")

    # 2. The report with every figure shown, records included.
    out = work / "exact"
    r = run([args.adapter, "report", "--config", exact, "--input", work / "replay.jsonl", "--period", "2027H1",
             "--records", "--out", out])
    check(f"report: {e['total']} challenges closed from {PERIOD[0]} to {PERIOD[1]} (of {len(closed)} closed facts "
          f"read), {len(e['open_ids'])} open and {len(e['overdue_ids'])} overdue at its end "
          f"({len(stage_facts)} stage facts read)" in r.stdout, f"report said: {r.stdout}")
    check_files(out, True, True, case_ids)
    with open(out / "summary.csv", newline="") as f:
        check_summary({(r["measure"], r["key"]): r["value"] for r in csv.DictReader(f)}, e, 0)
    with open(out / "report.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    check("case_id" not in (rows[0] if rows else {}), "report.csv has no case_id column")
    check(sorted(r["challenge_id"] for r in rows) == sorted(f["challenge_id"] for f in e["closed"]),
          "report.csv: one row per challenge closed in the period")
    for row in rows:
        f = closed.get(row["challenge_id"])
        if f:
            check(row["agency"] == f["agency"] and int(row["deadlines_missed"]) == f["deadlines_missed"]
                  and row["highest_stage"] == f["highest_stage"], f"report.csv row {row['challenge_id']}")
    page = (out / "report.html").read_text()
    check("<script" not in page.lower(), "the report must not contain script")
    check("http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', ""), "the report must fetch nothing")

    # 3. Headless Chromium: the DOM as the browser built it, and a PNG.
    d, dom_text = rendered(browser, work, out / "report.html")
    check_exact_dom(d, e, protocols)
    check(f"{e['met']} met, {e['missed']} missed" in dom_text, "deadlines sentence")
    check("1 January 2027 to 30 June 2027" in dom_text, "period in words")
    png = work / "report.png"
    shot = chromium(browser, work, f"--screenshot={png}", "--window-size=900,3000", (out / "report.html").as_uri())
    if check(shot.returncode == 0 and png.exists(), f"chromium --screenshot failed: {shot.stderr[-2000:]}"):
        size, length = png_size(png)
        check(size == (900, 3000), f"PNG size {size}")
        check(length > 40_000, f"PNG of {length} bytes: is the page blank?")

    # 4. The default: figures 1-4 read "<5"; no group gives a hidden cell away.
    sup = work / "suppressed"
    sup.mkdir(mode=0o755)
    run([args.adapter, "report", "--config", default, "--input", work / "replay.jsonl", "--period", "2027H1",
         "--out", sup])
    check_files(sup, False, False, case_ids)
    with open(sup / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    check_summary({(r["measure"], r["key"]): r["value"] for r in rows}, e, 5)
    ds, _ = rendered(browser, work, sup / "report.html")
    small = [k for k, m in e["monitored"].items() if m["open"] is not None and 1 <= m["open"] < 5]
    check(small, "a monitored figure from 1 to 4 to suppress (Rotherham's Stage 4 still open)")
    for k in small:
        check(ds.monitored.get(k, {}).get("open") == "<5", f"{k}: open at the end shows "
                                                            f"{ds.monitored.get(k, {}).get('open')!r}, not <5")
    tiles = {"tile-total": rx.shown(e["total"], 5), "tile-open": rx.shown(len(e["open_ids"]), 5),
             "tile-overdue": rx.shown(len(e["overdue_ids"]), 5), "tile-missed": rx.shown(e["missed"], 5)}
    check(ds.tiles == tiles, f"suppressed tiles {ds.tiles} != {tiles}")
    groups = 0
    for chart in BAR_CHARTS:
        bars = ds.charts.get(chart, {"bars": {}})["bars"]
        pairs = [(b["data-value"], e[chart].get(k, -1)) for k, b in bars.items()]
        problems = rx.group_problems(pairs, 5)
        check(not problems, f"suppressed chart {chart}: {problems}")
        groups += any(p in ("<5", "x") for p, _ in pairs)
        for k, b in bars.items():
            check(b["value"] == b["data-value"], f"suppressed chart {chart}/{k}: printed {b['value']!r}")
    for col in ("raised", "closed", "missed"):
        pairs = [(ds.months.get(m, {}).get(col), row[col]) for m, row in e["months"].items()]
        check(not rx.group_problems(pairs, 5), f"suppressed months/{col}: {rx.group_problems(pairs, 5)}")
    notes = [(ds.good_practice.get(k, {}).get("notes"), n) for k, (n, _) in e["good_practice"].items()]
    check(not rx.group_problems(notes, 5), f"suppressed good practice: {rx.group_problems(notes, 5)}")
    check(groups >= 3, f"only {groups} charts had a suppressed cell: the check is too weak")
    check("<5" in [r["value"] for r in rows], "summary.csv shows <5")

    # The whole year reports more; impossible dates and periods are refused.
    year = run([args.adapter, "report", "--input", work / "replay.jsonl", "--period", "2027", "--out", work / "year"])
    year_total = sum(f["closed_on"][:4] == "2027" for f in closed.values())
    check(f"report: {year_total} challenges closed" in year.stdout and year_total > e["total"],
          f"whole year: {year.stdout}")
    for bad_args, says in [(["--from", "2027-02-30", "--to", "2027-12-31"], "YYYY-MM-DD"),
                           (["--period", "2027H3"], "--period")]:
        bad = subprocess.run([args.adapter, "report", "--input", work / "replay.jsonl", *bad_args, "--out",
                              work / "bad"], capture_output=True, text=True)
        check(bad.returncode == 2 and says in bad.stderr, f"{bad_args} must be refused: {bad.stderr}")

    if failures:
        print("\n".join(failures))
        print(f"report test: {len(failures)} check(s) failed; see {work}")
        sys.exit(1)
    r4 = e["monitored"]["rotherham/stage4_challenges"]
    print(f"ok: {e['total']} of {len(closed)} closed facts and {len(stage_facts)} stage facts; at {PERIOD[1]} "
          f"{len(e['open_ids'])} open, {len(e['overdue_ids'])} overdue; Rotherham Stage 4 {r4['value']} "
          f"({r4['open']} open), Walsall notes {e['monitored']['walsall/good_practice_notes']['value']}, "
          f"Calderdale raised {e['monitored']['calderdale/challenges_raised']['value']}; every figure checked in "
          f"Chromium's DOM, exact and suppressed; {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
