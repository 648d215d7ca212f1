#!/usr/bin/env python3
"""Checks the chart's alerts and dashboard against the service (scripts/chart-check).

  check_observability.py REPO PROMTOOL

* every metric the alerts (files/prometheus/alerts.yaml) and the Grafana dashboard
  (files/grafana/crp-adapter.json) use is one the service registers in its source;
* the alerts cover what an operator must hear about (overdue challenges, dead letters,
  transaction aborts, a failing partner, refused partitions, consumer lag);
* every dashboard query is valid PromQL (`promtool check rules` on a rules file made of them,
  the dashboard variables replaced by sample values), and the dashboard's ids and grid are sane.
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def registered_metrics(repo):
    names, prefixed, prefixes = set(), set(), set()
    for folder in ("adapter", "connectors"):
        for path in (repo / folder).rglob("*.cpp"):
            text = path.read_text(errors="replace")
            for kind, name in re.findall(r"\b(counter|gauge|histogram)\(\s*\"([a-z_:][a-z0-9_:]*)\"", text):
                names.add(name)
                if kind == "histogram":
                    names.update({name + "_bucket", name + "_sum", name + "_count"})
            # A family named from a shared part's prefix (the delivery shell registers the
            # same families for webhooks and Notify): `counter(m + "attempts_total", ...)`
            # with `metric_prefix = "crp_webhook_"` set where the part is configured.
            for kind, suffix in re.findall(r"\b(counter|gauge|histogram)\(\s*m\s*\+\s*\"([a-z0-9_]+)\"", text):
                prefixed.add((kind, suffix))
            prefixes.update(re.findall(r"metric_prefix\s*=\s*\"([a-z_:][a-z0-9_:]*)\"", text))
    for prefix in prefixes:
        for kind, suffix in prefixed:
            name = prefix + suffix
            names.add(name)
            if kind == "histogram":
                names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def used_metrics(expr):
    # Identifiers followed by a selector, a range or the end of a term, minus PromQL words.
    words = {"sum", "by", "without", "rate", "increase", "delta", "min", "max", "count", "and", "or",
             "unless", "offset", "histogram_quantile", "le", "on", "ignoring", "avg", "humanize"}
    names = set(re.findall(r"\b((?:crp|process)_[a-z0-9_]+)\b", expr))
    return {n for n in names if n not in words}


def main():
    repo, promtool = pathlib.Path(sys.argv[1]), sys.argv[2]
    known = registered_metrics(repo)
    check("crp_challenges_overdue" in known and "crp_webhook_latency_seconds_bucket" in known,
          f"could not read the metric names from the source ({len(known)} found)")

    rules = yaml.safe_load((repo / "charts/crp-adapter/files/prometheus/alerts.yaml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    alert_metrics = set()
    for rule in alerts:
        used = used_metrics(rule["expr"])
        alert_metrics |= used
        for name in used - known:
            check(False, f"alert {rule['alert']} uses {name}, which the service does not export")
        check(rule.get("labels", {}).get("severity") in ("warning", "critical"), f"alert {rule['alert']}: severity")
        check({"summary", "description"} <= set(rule.get("annotations", {})), f"alert {rule['alert']}: annotations")
    for needed in ("crp_challenges_overdue", "crp_dead_letters_total", "crp_transactions_aborted_total",
                   "crp_webhook_failures_total", "crp_partitions_refused", "crp_consumer_lag",
                   "crp_webhook_dead_lettered_total", "crp_partner_breaker_open",
                   "crp_calendar_published_days_left"):
        check(needed in alert_metrics, f"no alert on {needed}")

    dashboard = json.loads((repo / "charts/crp-adapter/files/grafana/crp-adapter.json").read_text())
    check(dashboard.get("uid") == "crp-adapter" and dashboard.get("title"), "dashboard uid/title")
    panels = dashboard.get("panels", [])
    check(len(panels) >= 10, f"only {len(panels)} dashboard panels")
    ids = [p["id"] for p in panels]
    check(len(ids) == len(set(ids)), "duplicate panel ids")
    exprs = []
    for p in panels:
        g = p["gridPos"]
        check(0 <= g["x"] and g["x"] + g["w"] <= 24, f"panel {p['title']} outside the 24-column grid")
        check(p["targets"], f"panel {p['title']} has no query")
        for t in p["targets"]:
            exprs.append((p["title"], t["expr"]))
            for name in used_metrics(t["expr"]) - known:
                check(False, f"dashboard panel {p['title']!r} uses {name}, which the service does not export")
    samples = {"$__rate_interval": "5m", "$__range": "6h", "$namespace": "safeguarding", "$job": ".*",
               "${datasource}": "prometheus"}
    group = {"groups": [{"name": "dashboard", "rules": []}]}
    for i, (title, expr) in enumerate(exprs):
        for var, value in samples.items():
            expr = expr.replace(var, value)
        check("$" not in expr, f"panel {title!r}: unknown variable in {expr}")
        group["groups"][0]["rules"].append({"record": f"dashboard:query{i}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(group, f)
        f.flush()
        run = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        check(run.returncode == 0, f"dashboard queries are not valid PromQL:\n{run.stdout}{run.stderr}")

    for f in failures:
        print(f"check_observability: FAIL {f}", file=sys.stderr)
    if not failures:
        print(f"check_observability: {len(alerts)} alerts and {len(exprs)} dashboard queries use "
              f"only exported metrics; the queries parse")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
