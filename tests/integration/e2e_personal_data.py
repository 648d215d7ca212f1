#!/usr/bin/env python3
"""No personal data leaks out of the adapter (issue 7, item 5).

Events whose personal fields (a child's or a worker's name, an address, the
free-text concern) carry unique marker strings go through a real broker and
`crp-adapter run`, on every kind of input it has: canonical events, LCS and
Mosaic events, and Debezium change events of an LCS (SQL Server, Connect
schema wrapper) and a Mosaic (Oracle, plain JSON) database. Each input gets
valid records, schema-invalid ones, ones its mapping refuses and ones the
engine rejects, including names and free text in the wrong field (an email
address, a role, a stage, a protocol id, a coded column); the Debezium ones
also rows of tables the mapping does not list (an address table, free-text
form answers).

Then everything the service produced is scanned:
  * every record on every topic it writes (keys, headers, values; the
    changelog, the partner outbox and pending topics, DLQ headers included);
  * every line it logged;
  * the admin API: /metrics (label names, label values, values),
    GET /v1/challenges, ?overdue=true and /v1/challenges/{id} of every
    challenge the markers' records opened (with the bearer token);
  * the raw bodies and headers of the webhooks a partner agency received over
    verified HTTPS (a receiver with a CA made for the run; the signing secret
    from CRP_PARTNER_SECRET_<ID>), whose allowlist holds no personal field;
  * the board report made from crp.facts (`crp-adapter report --records`:
    report.html, summary.csv, report.csv), which must also hold no case id the
    service wrote anywhere, no case_id column, and be mode 0600 in a 0700
    directory.
A marker may appear in exactly one place: the value of a dead letter, which is
the original input kept unchanged so nothing is lost. So that the scan cannot
pass vacuously, the test also asserts that every marker kind reached the
service on every input (the dead letters' values hold them), that the valid
records were processed, and that the partner received their decisions.
"""
import http.client
import json
import stat
import subprocess
import sys
import time
import uuid

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from prometheus_client.parser import text_string_to_metric_families

import e2e_harness as h
from personal_data_inputs import (CDC_LCS, CDC_MOSAIC, LCS, MARKERS, MOSAIC, PARTITIONS, canonical_records,
                                  cdc_records, lcs_records, mosaic_records)
from webhook_receiver import Certificates, Receiver, new_secret, signature_problems, wait_for

NAME = "e2e_personal_data"
INPUT_TOPICS = [h.INPUT, LCS, MOSAIC, CDC_LCS, CDC_MOSAIC]
ADMIN_TOKEN = uuid.uuid4().hex
PARTNER = "pd-bscp"
PARTNER_SECRET_ENV = "CRP_PARTNER_SECRET_PD_BSCP"
# What the partner may receive: none of it personal. The names of fields that
# are (or would identify the child) must never be in the allowlist.
ALLOWED_FIELDS = ["route", "type", "challenge_id", "protocol", "stage", "stage_label", "occurred_at", "due_at"]
PERSONAL_FIELDS = {"case_id", "person_id", "contacts", "name", "child", "address", "summary", "concern",
                   "email", "email_address", "query", "action", "outcome", "notes", "worker"}


def find_markers(blob):
    text = blob.decode(errors="replace") if isinstance(blob, bytes) else str(blob)
    return [what for what, m in MARKERS.items() if m in text]


class Admin:
    def __init__(self, port):
        self.port = port

    def get(self, path, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace"), "\n".join(f"{k}: {v}" for k, v in r.getheaders())
        finally:
            conn.close()


def create_topics(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    big = {"max.message.bytes": str(h.BIG)}
    specs = [NewTopic(t, PARTITIONS, 1, config=big) for t in INPUT_TOPICS]
    # crp.dlq is left to the service (runtime.create_topics): it must create it with retention.ms.
    specs += [NewTopic(t, PARTITIONS, 1) for t in h.OUTPUTS if t != "crp.dlq"]
    specs.append(NewTopic(h.CHANGELOG, PARTITIONS, 1, config={"cleanup.policy": "compact"}))
    for _, f in admin.create_topics(specs, operation_timeout=30).items():
        f.result(60)


DLQ_RETENTION_DAYS = 3  # not the default (7): proves the configured value reaches the topic


def topic_setting(bootstrap, topic, name):
    """A topic's setting as the broker reports it (AdminClient.describe_configs)."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the answer is in
    configs = admin.describe_configs([resource])[resource].result(30)
    return configs[name].value if name in configs else None


def dlq_header_lists(bootstrap, topic="crp.dlq"):
    """Every dead letter's headers as the list Kafka holds (the harness's dicts
    would hide a second header of the same name)."""
    return [r["header_list"] for r in h.read_committed(bootstrap, [topic])]


def written_topics(bootstrap):
    """Every topic but the inputs and Kafka's own: what the service wrote."""
    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return sorted(t for t in meta.topics if t not in INPUT_TOPICS and not t.startswith("__"))


def write_partner(directory, url, ca_file):
    directory.mkdir(parents=True, exist_ok=True)
    partner = {"id": PARTNER, "kind": "safeguarding_partnership", "url": url,
               "secrets": [{"env": PARTNER_SECRET_ENV}],
               "subscription": {"routes": ["bscp"], "protocols": ["bradford"]},
               "allowed_fields": ALLOWED_FIELDS, "timeout_ms": 5000,
               "retry": {"schedule_ms": [200, 400, 800], "jitter": 0}, "ca_file": ca_file}
    (directory / f"{PARTNER}.json").write_text(json.dumps(partner, indent=2))


def main():
    args = h.arguments(__doc__).parse_args()
    started = time.monotonic()
    with h.E2E(NAME, args, start=False) as t:
        work, broker, check = t.work, t.broker, t.check
        certs = Certificates(work / "certs")
        rx_port = h.free_ports()
        receiver = Receiver(rx_port, *certs.good).start()
        t.cleanups.append(receiver.stop)
        partners = work / "partners"
        write_partner(partners, f"https://localhost:{rx_port}/bscp", certs.ca)
        secret = new_secret()
        token_file = work / "admin-token"
        token_file.write_text(ADMIN_TOKEN + "\n")

        broker.start()
        create_topics(broker.bootstrap)
        mappings = h.REPO / "config" / "connectors"
        inputs = [{"topic": h.INPUT, "connector": "canonical"},
                  {"topic": LCS, "connector": "lcs", "protocols": ["bradford", "iro-cp-lac"]},
                  {"topic": MOSAIC, "connector": "mosaic", "protocols": ["walsall"]},
                  {"topic": CDC_LCS, "connector": "debezium", "mapping": str(mappings / "lcs-debezium.json")},
                  {"topic": CDC_MOSAIC, "connector": "debezium", "mapping": str(mappings / "mosaic-debezium.json")}]
        config = t.config({"commit_interval_ms": 100, "create_topics": True,
                           "dead_letter_retention_days": DLQ_RETENTION_DAYS}, inputs=inputs,
                          admin={"bind": "127.0.0.1:0", "token_file": str(token_file), "rate_limit_per_s": 1000},
                          webhooks={"partners": str(partners)})
        adapter = t.adapter(config, instance="pd", env={PARTNER_SECRET_ENV: secret})
        admin = Admin(h.admin_port(adapter, name=NAME))

        sent = canonical_records() + lcs_records() + mosaic_records() + cdc_records()
        h.produce(broker.bootstrap, sent)
        h.wait_consumed(broker.bootstrap, adapter, 120, NAME, INPUT_TOPICS)

        # The partner's deliveries: one per Stage 5 challenge, from three kinds of input.
        partner_challenges = {"PD-6", "lcs-PD-CPCH-5", "BRD-PD-0005"}

        def delivered():
            got = set()
            for r in receiver.received(accepted_only=True):
                try:
                    got.add(json.loads(r.body).get("data", {}).get("challenge_id"))
                except ValueError:
                    pass
            return got
        check(wait_for(lambda: partner_challenges <= delivered(), 60, "partner deliveries", adapter),
              f"the partner received the Stage 5 decisions of canonical, LCS and Debezium input ({sorted(delivered())})")

        # The admin API, after every input was processed (the counters awaited, not read once).
        want_dlq = [r for r in sent if r["dlq"]]

        def dead_letters():
            status, body, headers = admin.get("/metrics")
            dead = sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                       if s.name == "crp_dead_letters_total") if status == 200 else None
            return status, body, headers, dead
        status, body, headers, dead = h.eventually(dead_letters, lambda m: m[3] == len(want_dlq), 30, adapter,
                                                   name=NAME)
        check(status == 200, f"/metrics: {status}")
        samples_n = labels_n = 0
        metric_text = [("/metrics", headers + "\n" + body)]
        for family in text_string_to_metric_families(body):
            for s in family.samples:
                samples_n += 1
                labels_n += len(s.labels)
        check(dead == len(want_dlq), f"the metrics count the {len(want_dlq)} dead letters ({dead})")
        opened = ["PD-1", "PD-6", "PD-7", "lcs-PD-CPCH-5", "lcs-PD-CPCH-1", "mosaic-RES-PD-1", "BRD-PD-0005",
                  "WAL-PD-0001"]
        views = {}
        for path in ["/v1/challenges", "/v1/challenges?overdue=true", *[f"/v1/challenges/{c}" for c in opened]]:
            status, text, hdrs = admin.get(path, token=ADMIN_TOKEN)
            metric_text.append((path, hdrs + "\n" + text))
            views[path] = (status, text)
        check(all(views[f"/v1/challenges/{c}"][0] == 200 for c in opened),
              f"every challenge the markers' records opened is in the API "
              f"({[c for c in opened if views[f'/v1/challenges/{c}'][0] != 200]} missing)")
        status, text = views["/v1/challenges?overdue=true"]
        overdue = [c["id"] for c in json.loads(text)["challenges"]] if status == 200 else []
        check("PD-7" in overdue, f"?overdue=true lists the old challenge ({overdue})")

        rc = adapter.stop()
        check(rc == 0, f"clean stop ({rc})")

        topics = written_topics(broker.bootstrap)
        out = h.read_committed(broker.bootstrap, topics)
        dlq = [r for r in out if r["topic"] == "crp.dlq"]
        check(any(r["topic"] == "crp.partners.outbox" for r in out), "the partner outbox was written")
        check(set(opened) <= {r["key"] for r in out if r["topic"] == h.CHANGELOG},
              "the opened challenges' state reached the changelog")

        # Exactly the records meant to be dead-lettered were, each unchanged.
        want = sorted(h.value_bytes(r["value"]) for r in want_dlq)
        got = sorted(r["value"] for r in dlq)
        missing = [f"{r['what']} on {r['topic']}" for r in want_dlq if h.value_bytes(r["value"]) not in got]
        extra = [f"{r['headers'].get('__connect.errors.topic')}: {r['value'][:60]!r}" for r in dlq if r["value"] not in want]
        check(got == want, f"{len(dlq)} dead letters: the {len(want)} invalid or rejected inputs, unchanged"
              + ("" if got == want else f" (missing {missing}; unexpected {extra[:5]})"))
        for r in dlq:
            h.say(NAME, f"dead letter from {r['headers'].get('__connect.errors.topic')}: "
                        f"{r['headers'].get('__connect.errors.exception.class.name')}: "
                        f"{r['headers'].get('__connect.errors.exception.message', '')[:160]}")
        # The markers reached the service on every input: the dead letters hold them.
        for topic in INPUT_TOPICS:
            kinds = {k for r in dlq if r["headers"].get("__connect.errors.topic") == topic for k in find_markers(r["value"])}
            check(kinds == set(MARKERS), f"every marker kind reached the service on {topic} ({sorted(kinds)})")
        # And the valid ones were processed: each opened challenge has escalations.
        escalated = {r["key"] for r in out if r["topic"] == "crp.escalations"}
        check(set(opened) <= escalated, f"the valid records opened their challenges ({sorted(set(opened) - escalated)} missing)")

        leaks = []
        for r in out:
            where = f"{r['topic']}[{r['partition']}]@{r['offset']}"
            for what in find_markers(r["key"] or ""):
                leaks.append(f"{what} in the key of {where}")
            for k, v in r["headers"].items():
                for what in find_markers(k + "=" + v):
                    leaks.append(f"{what} in header {k} of {where}")
            if r["topic"] != "crp.dlq":  # a dead letter's value is the input, unchanged
                for what in find_markers(r["value"]):
                    leaks.append(f"{what} in the value of {where}")
        log_lines = adapter.log_path.read_text().splitlines()
        for n, line in enumerate(log_lines, 1):
            for what in find_markers(line):
                leaks.append(f"{what} in log line {n}: {line[:300]}")
        for path, text in metric_text:
            for what in find_markers(text):
                leaks.append(f"{what} in the admin API's {path}")
        bodies = receiver.received()
        for r in bodies:
            for what in find_markers(r.body):
                leaks.append(f"{what} in the body of webhook {r.webhook_id}")
            for k, v in r.headers.items():
                for what in find_markers(f"{k}: {v}"):
                    leaks.append(f"{what} in header {k} of webhook {r.webhook_id}")
        check(not leaks, f"no marker in {len(out)} records of {len(topics)} topics (keys, headers, values but the "
                         f"dead letters' values), {len(log_lines)} log lines, {samples_n} metric samples "
                         f"({labels_n} labels) and {len(metric_text) - 1} API answers, {len(bodies)} webhook "
                         f"requests (bodies and headers)" + (f": {leaks[:8]}" if leaks else ""))

        # The board report from crp.facts: no marker, no case id, owner-only files.
        case_ids = set()

        def collect(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "case_id" and isinstance(x, str) and x:
                        case_ids.add(x)
                    collect(x)
            elif isinstance(v, list):
                for x in v:
                    collect(x)
        for r in out:
            if r["topic"] != "crp.dlq":
                try:
                    collect(json.loads(r["value"]))
                except ValueError:
                    pass
        report_dir = work / "report"
        rep = subprocess.run([args.adapter, "report", "--config", config, "--from", "2025-01-01",
                              "--to", f"{time.gmtime().tm_year + 1}-12-31", "--records", "--out", str(report_dir)],
                             capture_output=True, text=True, timeout=120)
        kinds = [json.loads(r["value"]).get("fact") for r in out if r["topic"] == "crp.facts"]
        stage_n = sum(k != "challenge.closed" for k in kinds)
        check(rep.returncode == 0 and stage_n > 0 and f"({stage_n} stage facts read)" in rep.stdout,
              f"the report read the {stage_n} stage facts on crp.facts: {rep.stdout.strip()} {rep.stderr[-800:]}")
        report_files = sorted(report_dir.iterdir()) if report_dir.is_dir() else []
        check([f.name for f in report_files] == ["report.csv", "report.html", "summary.csv"],
              f"the report wrote report.csv, report.html, summary.csv ({[f.name for f in report_files]})")
        check(report_dir.is_dir() and stat.S_IMODE(report_dir.stat().st_mode) == 0o700, "the report's directory is 0700")
        report_leaks = []
        for f in report_files:
            text = f.read_text()
            mode = stat.S_IMODE(f.stat().st_mode)
            if mode != 0o600:
                report_leaks.append(f"{f.name} is mode {oct(mode)}")
            report_leaks += [f"{what} in {f.name}" for what in find_markers(text)]
            report_leaks += [f"case id {c} in {f.name}" for c in sorted(case_ids) if c in text]
            if "case_id" in text:
                report_leaks.append(f"a case_id field in {f.name}")
        check(case_ids and not report_leaks,
              f"no marker and none of the {len(case_ids)} case ids in the {len(report_files)} report files, each 0600"
              + (f": {report_leaks[:8]}" if report_leaks else ""))

        # Dead letters keep the input only as long as configured: the service created crp.dlq with retention.ms.
        retention = topic_setting(broker.bootstrap, "crp.dlq", "retention.ms")
        check(retention == str(DLQ_RETENTION_DAYS * 86400000),
              f"the service created crp.dlq with retention.ms={DLQ_RETENTION_DAYS * 86400000} ({retention})")
        # The headers the service adds (__connect.errors.*) are its own, once each, and hold no marker,
        # even where the input carried headers of those names holding markers.
        raw = dlq_header_lists(broker.bootstrap)
        service_headers = [(k, v) for hs in raw for k, v in hs if k.startswith("__connect.errors.")]
        repeated = [hs for hs in raw if len([k for k, _ in hs if k.startswith("__connect.errors.")])
                    != len({k for k, _ in hs if k.startswith("__connect.errors.")})]
        marked = [f"{k}: {what}" for k, v in service_headers for what in find_markers(v)]
        check(len(raw) == len(dlq) and not repeated and not marked,
              f"{len(raw)} dead letters: no __connect.errors.* header repeated ({len(repeated)}) or holding a "
              f"name or concern ({marked[:4]}) among {len(service_headers)} the service added")

        # What the partner may receive, and that it was signed with the secret from the environment.
        check(not set(ALLOWED_FIELDS) & PERSONAL_FIELDS, "the partner's allowlist holds no personal field")
        fields = {k for r in bodies for k in json.loads(r.body).get("data", {})}
        check(fields <= set(ALLOWED_FIELDS), f"webhook data holds allowlisted fields only ({sorted(fields)})")
        problems = signature_problems(bodies, secret)
        check(bodies and not problems, f"{len(bodies)} webhooks verified by standardwebhooks ({problems[:2]})")

        h.say(NAME, f"scanned {len(out)} records on {len(topics)} topics ({len(dlq)} dead letters), "
                    f"{len(log_lines)} log lines, {samples_n} metric samples, {len(metric_text) - 1} API answers, "
                    f"{len(bodies)} webhook requests; {len(sent)} inputs sent; "
                    f"{time.monotonic() - started:.1f} s")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
