"""What the board report must show, computed by the tests themselves from the
facts they fed to `crp-adapter report` (replay output or the facts topic),
from the definitions in docs/decisions/0046, not from the report's code:

* closed in the period: counts by protocol, highest stage, agency, theme and
  outcome, time to resolution in bands, deadlines met and missed;
* open at a date: a challenge with a stage started by then and not closed by
  then; overdue: open with a response or decision missed since its latest
  stage started, or a duty or overall limit missed (and not met since);
* the trend by month, missed deadlines by agency and protocol;
* each protocol's monitored counts as its file's `report` section declares
  them; good-practice notes by team and month;
* small-number suppression (decision 0046) as a property of what is printed.

Also a parser of the report page as a browser built it (Chromium's DOM).
"""
import calendar
import html.parser
import json
from collections import Counter, defaultdict
from pathlib import Path

BANDS = [(5, "0-5 working days"), (10, "6-10 working days"), (15, "11-15 working days"),
         (20, "16-20 working days"), (30, "21-30 working days"), (60, "31-60 working days"),
         (None, "over 60 working days")]
MISSED_KINDS = {"challenge.response_overdue": "response", "duty.overdue": "duty",
                "challenge.decision_overdue": "decision", "process.overdue": "process"}


def facts_of(lines, topic="crp.facts"):
    """(closed facts by challenge id, stage facts) from replay-output lines or
    fact values; a later copy of the same fact replaces the earlier (a stage
    fact is its fact_id, kind, deadline, stage and duty: the deadlines met at
    closing share the closing event's fact_id)."""
    closed, stage = {}, {}
    for line in lines:
        value = line["value"] if "topic" in line else line
        if "topic" in line and line["topic"] != topic:
            continue
        if value.get("fact") == "challenge.closed" or "fact" not in value:
            closed[value["challenge_id"]] = value
        else:
            key = (value["fact_id"], value["fact"], value.get("deadline"), value.get("stage"), value.get("duty"))
            stage[key] = value
    return closed, list(stage.values())


def seq(fact):
    return int(fact["fact_id"].rsplit(":", 1)[1])  # "<challenge_id>:<seq>"


def order(fact):
    return (fact["occurred_at"], seq(fact))


def open_at(closed, stage_facts, date):
    """(open challenge ids, overdue challenge ids) at the end of `date`."""
    closed_by = {c for c, f in closed.items() if f["closed_on"] <= date}
    facts = defaultdict(list)
    for f in stage_facts:
        if f["fact"] != "good_practice.noted" and f["occurred_on"] <= date:
            facts[f["challenge_id"]].append(f)
    open_, overdue = set(), set()
    for cid, fs in facts.items():
        starts = [f for f in fs if f["fact"] == "stage.started"]
        if cid in closed_by or not starts:
            continue
        open_.add(cid)
        latest_start = max(order(f) for f in starts)
        for f in fs:
            if f["fact"] != "deadline.missed":
                continue
            if f["deadline"] in ("response", "decision"):
                late = order(f) > latest_start  # until the challenge moves on
            else:  # a duty or the overall limit: until it closes, unless met since
                late = not any(m["fact"] == "deadline.met" and m["deadline"] == f["deadline"]
                               and m.get("duty", "") == f.get("duty", "") and m["stage"] == f["stage"]
                               and order(m) > order(f) for m in fs)
            if late:
                overdue.add(cid)
    return open_, overdue


def months_of(period):
    y, m = int(period[0][:4]), int(period[0][5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= period[1][:7]:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(month):
    y, m = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(y, m)[1]:02d}"


def protocol_reports(config_path):
    """Each protocol of the service config: (id, title, its file's `report` section)."""
    config_path = Path(config_path)
    config = json.loads(config_path.read_text())
    out = []
    for p in config["protocols"]:
        doc = json.loads((config_path.parent / p).read_text())
        out.append((doc["id"], doc["title"], doc.get("report", {})))
    return out


def expected(closed, stage_facts, period, protocols):
    """Every figure of the report for `period` = (from, to), inclusive dates."""
    inside = lambda d: period[0] <= d <= period[1]  # noqa: E731
    done = [f for f in closed.values() if inside(f["closed_on"])]
    e = {"closed": done, "total": len(done), "immediate_risk": sum(f["immediate_risk"] for f in done)}
    e["outcome"] = {o: sum(f["outcome"] == o for f in done) for o in ("resolved", "withdrawn", "exhausted")}
    e["protocol"] = Counter(f["protocol"] for f in done)
    e["stage"] = Counter(f["highest_stage"] for f in done)
    e["agency"] = Counter(f["agency"] or "not_recorded" for f in done)
    e["theme"] = Counter(t for f in done for t in set(f["categories"]))
    bands = Counter(next(label for upto, label in BANDS if upto is None or f["working_days_to_close"] <= upto)
                    for f in done)
    e["resolution"] = {label: bands[label] for _, label in BANDS}
    e["deadlines"] = {f"{k}_{w}": sum(f["deadlines"][k][w] for f in done)
                      for k in ("response", "duty", "process") for w in ("met", "missed")}
    e["met"] = sum(f["deadlines_met"] for f in done)
    e["missed"] = sum(f["deadlines_missed"] for f in done)

    protocol_of = {f["challenge_id"]: f["protocol"] for f in stage_facts}
    open_, overdue = open_at(closed, stage_facts, period[1])
    e["open_ids"], e["overdue_ids"] = open_, overdue
    e["open"] = Counter(protocol_of[c] for c in open_)
    e["overdue"] = Counter(protocol_of[c] for c in overdue)

    e["months"] = {}
    for m in months_of(period):
        in_month = lambda d: d[:7] == m and inside(d)  # noqa: E731
        e["months"][m] = {
            "raised": sum(f["fact"] == "stage.started" and f["opens_challenge"] and in_month(f["occurred_on"])
                          for f in stage_facts),
            "closed": sum(in_month(f["closed_on"]) for f in closed.values()),
            "missed": sum(f["fact"] == "deadline.missed" and in_month(f["occurred_on"]) for f in stage_facts),
            "open": len(open_at(closed, stage_facts, min(month_end(m), period[1]))[0]),
        }
    missed = [f for f in stage_facts if f["fact"] == "deadline.missed" and inside(f["occurred_on"])]
    e["missed_agency"] = Counter(f["agency"] or "not_recorded" for f in missed)
    e["missed_protocol"] = Counter(f["protocol"] for f in missed)

    e["monitored"] = {}
    for pid, title, report in protocols:
        mine = [f for f in stage_facts if f["protocol"] == pid and inside(f["occurred_on"])]
        for m in report.get("monitored", []):
            if m["count"] == "good_practice_noted":
                value, still_open = sum(f["fact"] == "good_practice.noted" for f in mine), None
            else:
                ids = {f["challenge_id"] for f in mine if f["fact"] == "stage.started" and (
                    f["stage"] == m["stage"] if m["count"] == "stage_started" else f["opens_challenge"])}
                value, still_open = len(ids), len(ids & open_)
                if m["count"] != "stage_started":
                    still_open = None
            e["monitored"][f"{pid}/{m['id']}"] = {"value": value, "open": still_open, "label": m["label"],
                                                  "quote": m["quote"], "title": title}
    e["frequencies"] = {pid: (title, r["frequency"], r.get("frequency_quote", ""))
                        for pid, title, r in protocols if r.get("frequency")}

    gp = defaultdict(lambda: [0, 0])
    for f in stage_facts:
        if f["fact"] == "good_practice.noted" and inside(f["occurred_on"]):
            row = gp[(f.get("team", ""), f["occurred_on"][:7])]
            row[0] += 1
            row[1] += bool(f.get("exemplary"))
    e["good_practice"] = {k: tuple(v) for k, v in gp.items()}

    instants = [f["closed_at"] for f in closed.values()] + [f["occurred_at"] for f in stage_facts]
    e["data_as_at"] = max(instants) if instants else ""
    return e


def shown(value, below):
    """A single figure as printed with suppression below `below` (0: off)."""
    return f"<{below}" if below > 1 and 1 <= value < below else str(value)


def group_problems(pairs, below):
    """Printed figures of one suppression group against their true values
    [(printed, true)]: what decision 0046 forbids, as a list of problems."""
    problems = []
    small = f"<{below}"
    hidden = [(p, v) for p, v in pairs if p in (small, "x")]
    for p, v in pairs:
        if p == small and not 1 <= v < below:
            problems.append(f"{v} printed as {p}")
        elif p not in (small, "x") and p != str(v):
            problems.append(f"{v} printed as {p}")
        elif p == str(v) and 1 <= v < below:
            problems.append(f"{v} printed unsuppressed")
    if hidden:
        total = sum(v for _, v in hidden)
        least = sum(1 if p == small else below for p, _ in hidden)
        most = sum(below - 1 for p, _ in hidden if p == small)
        no_x = all(p == small for p, _ in hidden)
        shown_left = [v for p, v in pairs if p not in (small, "x") and v > 0]
        recoverable = len(hidden) == 1 or total == least or (no_x and total == most)
        if recoverable and shown_left:
            problems.append(f"hidden cells {hidden} recoverable from the group's total")
    return problems


class ReportDom(html.parser.HTMLParser):
    """The report page as a browser built it: tiles, bar charts (per bar its
    data-key, data-value, label and printed figure), the monitored counts, the
    month and good-practice tables, the authority, the data-as-at instant and
    the reporting frequencies."""

    def __init__(self):
        super().__init__()
        self.charts, self.tiles, self.monitored, self.months, self.good_practice = {}, {}, {}, {}, {}
        self.frequencies, self.authority, self.data_as_at, self.period = [], None, None, None
        self.tags = Counter()
        self.chart = self.bar = self.tile = self.mon = self.row = self.cell = None
        self.sink = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        for k in ("src", "href"):
            if k in a:
                self.tags["external:" + a[k]] += 1
        cls = a.get("class", "")
        if tag == "section" and "data-chart" in a:
            self.chart = {"title": "", "bars": {}}
            self.charts[a["data-chart"]] = self.chart
        elif tag == "h2" and self.chart is not None:
            self.sink = (self.chart, "title")
        elif tag == "g" and cls == "bar":
            self.bar = {"data-value": a["data-value"], "label": "", "value": ""}
            self.chart["bars"][a["data-key"]] = self.bar
        elif tag == "text" and self.bar is not None and cls in ("label", "value"):
            self.sink = (self.bar, cls)
        elif tag == "div" and cls == "tile":
            self.tile = a["id"]
            self.tiles[self.tile] = ""
        elif tag == "span" and self.tile and cls == "figure":
            self.sink = (self.tiles, self.tile)
        elif tag == "div" and cls == "monitored":
            self.mon = {"data-value": a.get("data-value"), "data-open": a.get("data-open"), "figure": "",
                        "label": "", "open": "", "quote": "", "text": ""}
            self.monitored[f"{a['data-protocol']}/{a['data-id']}"] = self.mon
        elif tag == "span" and self.mon is not None and cls in ("figure", "label", "open"):
            self.sink = (self.mon, cls)
        elif tag == "blockquote" and self.mon is not None:
            self.sink = (self.mon, "quote")
        elif tag == "tr" and "data-month" in a and "data-team" not in a:
            self.row = self.months[a["data-month"]] = {}
        elif tag == "tr" and "data-team" in a:
            self.row = self.good_practice[(a["data-team"], a["data-month"])] = {}
        elif tag == "td" and self.row is not None and cls:
            self.row[cls] = ""
            self.sink = (self.row, cls)
        elif tag == "p" and a.get("id") == "authority":
            self.authority = ""
            self.sink = (self, "authority")
        elif tag == "p" and "data-as-at" in a:
            self.data_as_at = a["data-as-at"]
        elif tag == "p" and "data-from" in a:
            self.period = (a["data-from"], a["data-to"])
        elif tag == "p" and "frequency" in cls.split():
            self.frequencies.append("")
            self.sink = (self.frequencies, len(self.frequencies) - 1)

    def handle_endtag(self, tag):
        if tag in ("h2", "text", "span", "td", "p", "blockquote"):
            self.sink = None
        if tag == "g":
            self.bar = None
        if tag == "section":
            self.chart = None
        if tag == "div":
            self.tile = self.mon = None
        if tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.mon is not None:
            self.mon["text"] += data
        if self.sink is None:
            return
        target, key = self.sink
        if target is self:
            self.authority += data
        else:
            target[key] += data
