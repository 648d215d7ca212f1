#!/usr/bin/env python3
"""The board report end to end, offline.

1. Generates challenges across the five protocols (generate_events.py) and runs
   them through `crp-adapter replay`; checks every fact on crp.facts against
   the lifecycle events of its challenge (stages, overdue events, outcome).
2. Runs `crp-adapter report --input` for a half year that leaves some facts out.
3. Renders report.html in headless Chromium (Debian `chromium`): saves a PNG
   and reads the DOM; every chart's title and every figure must equal what
   this script computes from the facts itself.
"""
import argparse
import csv
import html.parser
import json
import shutil
import statistics
import struct
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PERIOD = ("2027-01-01", "2027-06-30")
TITLES = {
    "outcome": "Outcomes",
    "protocol": "Challenges by protocol",
    "stage": "Highest stage reached",
    "stage4": "Stage 4 challenges (Rotherham performance framework)",
    "agency": "Challenges by agency challenged",
    "theme": "Themes (categories of concern)",
    "resolution": "Time to resolution",
    "deadlines": "Deadlines met and missed",
}
BANDS = [(5, "0-5 working days"), (10, "6-10 working days"), (15, "11-15 working days"),
         (20, "16-20 working days"), (30, "21-30 working days"), (60, "31-60 working days"),
         (None, "over 60 working days")]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} exited {r.returncode}\n{r.stderr[-3000:]}")
    return r


def check_facts_against_lifecycle(lines):
    """Each fact must agree with the escalation events of its own challenge."""
    events = defaultdict(list)
    facts = {}
    for line in lines:
        if line["topic"] == "crp.escalations":
            events[line["key"]].append(line["value"])
        elif line["topic"] == "crp.facts":
            check(line["key"] not in facts, f"two facts for {line['key']}")
            facts[line["key"]] = line["value"]
    closed = {k for k, evs in events.items() if any(e["type"] == "challenge.closed" for e in evs)}
    check(set(facts) == closed, f"facts for {sorted(set(facts) ^ closed)} do not match closed challenges")
    for cid, f in facts.items():
        evs = events[cid]
        close = [e for e in evs if e["type"] == "challenge.closed"][0]
        kinds = Counter(e["type"] for e in evs)
        started = [e["stage"] for e in evs if e["type"] == "challenge.stage_started"]
        check(f["outcome"] == close["outcome"], f"{cid}: outcome {f['outcome']} != {close['outcome']}")
        check(f["closed_at"] == close["occurred_at"], f"{cid}: closed_at")
        check(f["stages_visited"] == started, f"{cid}: stages {f['stages_visited']} != {started}")
        check(f["highest_stage"] == started[-1] and f["starting_stage"] == started[0], f"{cid}: start/highest")
        check(f["deadlines"]["response"]["missed"] == kinds["challenge.response_overdue"], f"{cid}: response missed")
        check(f["deadlines"]["duty"]["missed"] == kinds["duty.overdue"], f"{cid}: duty missed")
        check(f["deadlines"]["process"]["missed"] == kinds["process.overdue"], f"{cid}: process missed")
        check(f["escalations"] == kinds["challenge.escalated"], f"{cid}: escalations")
        check(f["deadlines_missed"] == sum(v["missed"] for v in f["deadlines"].values()), f"{cid}: missed total")
    return list(facts.values())


def readable(code):
    if " " in code:
        return code
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def g(number):
    """The report prints figures like C's %g: 14.5, 19."""
    return ("%g" % number)


def expected_figures(facts):
    e = {}
    e["outcome"] = {o: sum(f["outcome"] == o for f in facts) for o in ("resolved", "withdrawn", "exhausted")}
    e["protocol"] = Counter(f["protocol"] for f in facts)
    e["stage"] = Counter(f["highest_stage"] for f in facts)
    e["stage4"] = Counter(f["protocol"] for f in facts if "stage4" in f["stages_visited"])
    e["agency"] = Counter(f["agency"] for f in facts)
    e["theme"] = Counter(t for f in facts for t in set(f["categories"]))
    bands = Counter()
    for f in facts:
        d = f["working_days_to_close"]
        bands[next(label for upto, label in BANDS if upto is None or d <= upto)] += 1
    e["resolution"] = {label: bands[label] for _, label in BANDS}
    dl = {}
    for kind in ("response", "duty", "process"):
        for which in ("met", "missed"):
            dl[f"{kind}_{which}"] = sum(f["deadlines"][kind][which] for f in facts)
    e["deadlines"] = dl
    return e


class Dom(html.parser.HTMLParser):
    """Charts by id: title, and per bar its data-key, data-value, label and printed figure."""

    def __init__(self):
        super().__init__()
        self.charts, self.tiles, self.text_sink, self.chart, self.bar, self.tile = {}, {}, None, None, None, None
        self.tags = Counter()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        for k in ("src", "href"):
            if k in a:
                self.tags["external:" + a[k]] += 1
        if tag == "section" and "data-chart" in a:
            self.chart = {"title": "", "bars": {}}
            self.charts[a["data-chart"]] = self.chart
        elif tag == "h2" and self.chart is not None:
            self.text_sink = ("title",)
        elif tag == "g" and a.get("class") == "bar":
            self.bar = {"data-value": a["data-value"], "label": "", "value": ""}
            self.chart["bars"][a["data-key"]] = self.bar
        elif tag == "text" and self.bar is not None:
            self.text_sink = ("bar", a.get("class"))
        elif tag == "div" and a.get("class") == "tile":
            self.tile = a["id"]
            self.tiles[self.tile] = ""
        elif tag == "span" and self.tile and a.get("class") == "figure":
            self.text_sink = ("tile",)

    def handle_endtag(self, tag):
        if tag in ("h2", "text", "span"):
            self.text_sink = None
        if tag == "g":
            self.bar = None
        if tag == "section":
            self.chart = None
        if tag == "div":
            self.tile = None

    def handle_data(self, data):
        if not self.text_sink:
            return
        if self.text_sink[0] == "title":
            self.chart["title"] += data
        elif self.text_sink[0] == "tile":
            self.tiles[self.tile] += data
        elif self.text_sink[1] in ("label", "value"):
            self.bar[self.text_sink[1]] += data


def png_size(path):
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None, 0
    width, height = struct.unpack(">II", data[16:24])
    return (width, height), len(data)


def chromium(binary, work, *args):
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={work / 'chromium-profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    browser = shutil.which("chromium")
    if not browser:
        sys.exit("chromium is not installed (Debian package `chromium`; scripts/setup-deps installs it)")
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    events = work / "events.jsonl"
    run([sys.executable, HERE / "generate_events.py", events, "--challenges", "60"])
    replayed = run([args.adapter, "replay", "--config", args.config, "--input", events,
                    "--until", "2028-01-01T00:00:00Z"]).stdout
    (work / "replay.jsonl").write_text(replayed)
    all_facts = check_facts_against_lifecycle([json.loads(l) for l in replayed.splitlines()])
    facts = [f for f in all_facts if PERIOD[0] <= f["closed_on"] <= PERIOD[1]]
    check(5 < len(facts) < len(all_facts), f"the period should keep some facts and leave some out "
                                           f"({len(facts)} of {len(all_facts)})")
    for p in ("bradford", "rotherham", "walsall", "calderdale", "iro-cp-lac"):
        check(any(f["protocol"] == p for f in facts), f"no {p} challenge closed in the period")
    check(any("stage4" in f["stages_visited"] and f["protocol"] == "rotherham" for f in facts),
          "no Rotherham Stage 4 challenge in the period")

    out = work / "out"
    r = run([args.adapter, "report", "--config", args.config, "--input", work / "replay.jsonl",
             "--from", PERIOD[0], "--to", PERIOD[1], "--out", out])
    check(f"report: {len(facts)} challenges closed" in r.stdout, f"report said: {r.stdout}")

    # CSV: one row per fact in the period; an agency with a comma and quotes survives.
    with open(out / "report.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    check(sorted(r["challenge_id"] for r in rows) == sorted(f["challenge_id"] for f in facts), "report.csv rows")
    by_id = {f["challenge_id"]: f for f in facts}
    for row in rows:
        f = by_id.get(row["challenge_id"])
        if f:
            check(row["agency"] == f["agency"], f"report.csv agency of {row['challenge_id']}: {row['agency']!r}")
            check(int(row["deadlines_missed"]) == f["deadlines_missed"], f"report.csv missed {row['challenge_id']}")
    with open(out / "summary.csv", newline="") as f:
        summary = {(r["measure"], r["key"]): r["value"] for r in csv.DictReader(f)}
    check(summary.get(("total", "closed")) == str(len(facts)), "summary.csv total")
    check(summary.get(("stage4", "total")) == str(sum("stage4" in f["stages_visited"] for f in facts)),
          "summary.csv stage 4 total")

    page = (out / "report.html").read_text()
    check("<script" not in page.lower(), "the report must not contain script")
    check("http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', ""), "the report must fetch nothing")

    # Headless Chromium: the DOM as the browser built it, and a PNG.
    url = (out / "report.html").resolve().as_uri()
    dom = chromium(browser, work, "--dump-dom", url)
    if dom.returncode != 0 or "<html" not in dom.stdout:
        sys.exit(f"chromium --dump-dom failed ({dom.returncode}): {dom.stderr[-2000:]}")
    (work / "dom.html").write_text(dom.stdout)
    png = out / "report.png"
    shot = chromium(browser, work, f"--screenshot={png}", "--window-size=900,2700", url)
    check(shot.returncode == 0 and png.exists(), f"chromium --screenshot failed: {shot.stderr[-2000:]}")
    if png.exists():
        size, length = png_size(png)
        check(size == (900, 2700), f"PNG size {size}")
        check(length > 40_000, f"PNG of {length} bytes: is the page blank?")

    parsed = Dom()
    parsed.feed(dom.stdout)
    check(not [t for t in parsed.tags if t.startswith("external:") or t in ("script", "img", "link", "iframe")],
          f"external resources or script in the DOM: {[t for t in parsed.tags if ':' in t]}")
    expected = expected_figures(facts)
    for chart, title in TITLES.items():
        c = parsed.charts.get(chart)
        check(c is not None, f"chart {chart} missing")
        if not c:
            continue
        check(c["title"] == title, f"chart {chart}: title {c['title']!r} != {title!r}")
        want = {k: v for k, v in expected[chart].items()}
        got = {k: b["data-value"] for k, b in c["bars"].items()}
        check(got == {k: str(v) for k, v in want.items()}, f"chart {chart}: {got} != {want}")
        for key, bar in c["bars"].items():
            check(bar["value"] == bar["data-value"], f"chart {chart}/{key}: printed {bar['value']!r}")
            check(bar["label"].strip() != "", f"chart {chart}/{key}: no label")
        if chart == "theme":
            for key, bar in c["bars"].items():
                check(bar["label"] == readable(key), f"theme label {bar['label']!r}")
    stage4 = sum("stage4" in f["stages_visited"] for f in facts)
    missed = sum(f["deadlines_missed"] for f in facts)
    met = sum(f["deadlines_met"] for f in facts)
    median = statistics.median(f["working_days_to_close"] for f in facts)
    tiles = {"tile-total": str(len(facts)), "tile-stage4": str(stage4), "tile-median": g(median),
             "tile-missed": str(missed)}
    check(parsed.tiles == tiles, f"headline figures {parsed.tiles} != {tiles}")
    check(f"Median {g(median)} working days" in dom.stdout, "median sentence")
    check(f"{met} met, {missed} missed" in dom.stdout, "deadlines sentence")
    check("1 January 2027 to 30 June 2027" in dom.stdout, "period in words")

    # The same figures for the whole year come out larger: the period filter is real.
    year = run([args.adapter, "report", "--input", work / "replay.jsonl", "--from", "2027-01-01",
                "--to", "2027-12-31", "--out", work / "year"])
    check(f"report: {len(all_facts)} challenges closed" in year.stdout, f"whole year: {year.stdout}")
    bad = subprocess.run(
        [args.adapter, "report", "--input", work / "replay.jsonl", "--from", "2027-02-30", "--to", "2027-12-31",
         "--out", work / "bad"], capture_output=True, text=True)
    check(bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr, f"an impossible date must be refused: {bad.stderr}")

    if failures:
        print("\n".join(failures))
        print(f"report test: {len(failures)} check(s) failed; see {work}")
        sys.exit(1)
    print(f"ok: {len(facts)} of {len(all_facts)} facts in {PERIOD[0]}..{PERIOD[1]}, "
          f"{len(TITLES)} charts checked in Chromium's DOM; PNG {png}")


if __name__ == "__main__":
    main()
