#!/usr/bin/env python3
"""The admin HTTP API of `crp-adapter run` on a real broker, the adapter a
child process:
  1. /readyz answers 503 while the state is restored (held back by the
     test-only CRP_TEST_RESTORE_DELAY_MS, during which the server still
     answers), then 200;
  2. /v1 refuses a request without the token and with a wrong one (401),
     accepts it with the token from admin.token_file;
  3. /metrics parses with prometheus_client's own parser, and its counters
     reach what was sent: records in, escalations out, dead letters,
     transactions, open and overdue challenges;
  4. GET /v1/challenges/{id} shows the stage and the due date the service
     published, without contact emails; ?overdue=true lists the overdue one;
  5. every stderr line of the service is one JSON object with time, level
     and message;
  6. a bad `admin` block (port, token file, rate) refuses to start, naming the
     file, the JSON pointer and the reason.
"""
import http.client
import subprocess
import json
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

import e2e_harness as h

NAME = "e2e_admin"
DAY = 86400
TOKEN = "e2e-admin-token-5b7f0c1e9a"
RESTORE_DELAY_MS = 4000


def raised(cid, at):
    return {"topic": h.INPUT, "key": cid, "headers": {},
            "value": {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": h.iso(at),
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": "calderdale",
                      "agency": "Primary School"}}


class Admin:
    """HTTP/1.1 with keep-alive (http.client), reconnecting when needed."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                self.conn.request("GET", path, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read().decode(), r.getheader("Content-Type", "")
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def metrics(admin):
    """{(name, frozenset(labels)): value} from the independent parser."""
    status, body, ctype = admin.get("/metrics")
    assert status == 200, status
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def total(samples, name, **labels):
    want = set(labels.items())
    return sum(v for (n, l), v in samples.items() if n == name and want <= set(l))


def holding(adapter, name="e2e"):
    """(owned partitions, transaction open) from the /metrics of `adapter`'s latest start:
    what a fault test records just before its fault, to show the fault hit an adapter at work."""
    m = metrics(Admin(h.admin_port(adapter, name=name)))
    return total(m, "crp_owned_partitions"), total(m, "crp_transaction_open")


def refuses(binary, work, name, admin, pointer, check):
    config = h.write_config(work / f"{name}.json", "127.0.0.1:1", {}, admin=admin)
    done = subprocess.run([binary, "run", "--config", config], capture_output=True, text=True, timeout=60)
    lines = [json.loads(l) for l in done.stderr.splitlines() if l.startswith("{")]
    said = [l for l in lines if l.get("message") == "configuration error"]
    check(done.returncode == 3 and said and said[0]["pointer"] == pointer and said[0]["file"] == config
          and said[0]["reason"], f"{name}: refused with exit 3 naming file, {pointer} and reason ({said[:1]})")


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args, 3) as t:
        work, broker, check = t.work, t.broker, t.check
        token_file = work / "admin-token"
        token_file.write_text(TOKEN + "\n")
        # create_topics: whatever topics the service gained since (crp.facts, ...).
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"commit_interval_ms": 100, "create_topics": True},
                                admin={"bind": "127.0.0.1:0", "token_file": str(token_file),
                                       "rate_limit_per_s": 1000})
        adapter = t.adapter(config, "adapter.log", instance="admin",
                            env={"CRP_TEST_RESTORE_DELAY_MS": str(RESTORE_DELAY_MS)})
        admin = Admin(h.admin_port(adapter, name=NAME))

        # 1. Not ready until restored; answering all the while.
        seen, deadline = [], time.time() + 90
        while time.time() < deadline:
            if not adapter.alive():
                raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode}; log {work}")
            status, body, _ = admin.get("/readyz")
            if not seen or seen[-1][0] != status or seen[-1][1] != body.strip():
                seen.append((status, body.strip()))
            if status == 200:
                break
            time.sleep(0.1)
        statuses = [s for s, _ in seen]
        check(statuses and statuses[-1] == 200, f"/readyz ends 200 ({seen})")
        check(503 in statuses and statuses.index(503) < statuses.index(200) if 200 in statuses else False,
              f"/readyz answered 503 before 200 ({seen})")
        check(any(s == 503 and "restoring" in b for s, b in seen),
              f"/readyz answered 503 during the restore itself ({seen})")
        check(admin.get("/healthz")[0] == 200, "/healthz 200")

        # 2. /v1 needs the token.
        check(admin.get("/v1/challenges?overdue=true")[0] == 401, "/v1 without a token: 401")
        check(admin.get("/v1/challenges?overdue=true", token="wrong-token-wrong-token")[0] == 401,
              "/v1 with a wrong token: 401")
        check(admin.get("/v1/challenges?overdue=true", token=TOKEN)[0] == 200, "/v1 with the token: 200")

        # 3. Counters move as events flow.
        before = metrics(admin)
        check(total(before, "crp_records_in_total") == 0, "no input counted before any is sent")
        now = int(time.time())
        records = [raised("ADM-OLD", now - 60 * DAY), raised("ADM-NEW", now)]
        records += [raised(f"ADM-{i:03d}", now) for i in range(20)]
        bad = [{"topic": h.INPUT, "key": f"BAD-{i}", "headers": {}, "value": b"not json"} for i in range(3)]
        h.produce(broker.bootstrap, records + bad)
        sent = len(records) + len(bad)
        deadline, m = time.time() + 60, before
        while time.time() < deadline:
            m = metrics(admin)
            if (total(m, "crp_records_in_total", topic=h.INPUT) >= sent
                    and total(m, "crp_dead_letters_total") >= len(bad)
                    and total(m, "crp_challenges_overdue") >= 1
                    and total(m, "crp_transactions_committed_total") >= 1):
                break
            time.sleep(0.5)
        check(total(m, "crp_records_in_total", topic=h.INPUT) == sent,
              f"records in == sent ({total(m, 'crp_records_in_total', topic=h.INPUT)} of {sent})")
        check(total(m, "crp_dead_letters_total") == len(bad),
              f"dead letters == invalid records sent ({total(m, 'crp_dead_letters_total')})")
        check(total(m, "crp_records_out_total", topic="crp.dlq") == len(bad), "DLQ records out counted")
        started = total(m, "crp_records_out_total", topic="crp.escalations", type="challenge.stage_started")
        check(started >= len(records), f"stage_started escalations out counted ({started})")
        check(total(m, "crp_transactions_committed_total") >= 1, "committed transactions counted")
        check(total(m, "crp_challenges_open", protocol="calderdale") == len(records),
              f"open challenges ({total(m, 'crp_challenges_open', protocol='calderdale')})")
        check(total(m, "crp_challenges_overdue", protocol="calderdale") == 1,
              f"exactly the old challenge is overdue ({total(m, 'crp_challenges_overdue')})")
        check(total(m, "crp_pending_timers") >= len(records) - 1,
              f"pending timers ({total(m, 'crp_pending_timers')})")
        check(total(m, "crp_ready") == 1, "crp_ready 1")
        check(total(m, "crp_owned_partitions") == 3, "owns the 3 partitions")
        check(any(n == "crp_consumer_lag" for n, _ in m), "consumer lag per partition exported")
        check(total(m, "process_resident_memory_bytes") > 1e6, "process RSS exported")

        # 4. The challenge views.
        status, body, _ = admin.get("/v1/challenges/ADM-NEW", token=TOKEN)
        check(status == 200, f"GET /v1/challenges/ADM-NEW: {status}")
        view = json.loads(body) if status == 200 else {}
        # Counted when processed, published when committed: awaited through the group's offsets.
        h.wait_consumed(broker.bootstrap, adapter, 60, NAME)
        published = [json.loads(r["value"]) for r in h.read_committed(broker.bootstrap, ["crp.escalations"])
                     if r["key"] == "ADM-NEW"]
        first = published[0] if published else {}  # CloudEvents binary mode: the value is the data
        check(view.get("stage") == first.get("stage") == "informal",
              f"stage as published ({view.get('stage')}, {first.get('stage')})")
        check(view.get("due_at") is not None and view.get("due_at") == first.get("due_at"),
              f"due date as published ({view.get('due_at')}, {first.get('due_at')})")
        check(view.get("overdue") is False, "the fresh one is not overdue")
        check("@" not in body and "CASE-" not in body, "no contact emails or case ids in the view")
        status, body, _ = admin.get("/v1/challenges?overdue=true", token=TOKEN)
        listed = [c["id"] for c in json.loads(body)["challenges"]] if status == 200 else []
        check(listed == ["ADM-OLD"], f"?overdue=true lists the overdue one only ({listed})")
        check(admin.get("/v1/challenges/NOT-THERE", token=TOKEN)[0] == 404, "unknown id: 404")

        check(adapter.stop() == 0, "clean stop")
        # 6. Refusals (no broker needed: checked before any connection).
        refuses(args.adapter, work, "bad-port", {"bind": "127.0.0.1:70000"}, "/admin/bind", check)
        refuses(args.adapter, work, "no-token-file", {"bind": "127.0.0.1:0", "token_file": str(work / "none")},
                "/admin/token_file", check)
        (work / "short-token").write_text("short\n")
        refuses(args.adapter, work, "short-token", {"bind": "127.0.0.1:0", "token_file": str(work / "short-token")},
                "/admin/token_file", check)
        refuses(args.adapter, work, "bad-limit", {"max_request_bytes": 10}, "/admin/max_request_bytes", check)
        # 5. JSON logs.
        raw = [l for l in (work / "adapter.log").read_text().splitlines() if not l.startswith('{"e2e"')]
        bad_lines = []
        for line in raw:
            try:
                o = json.loads(line)
                if not (isinstance(o, dict) and {"time", "level", "message"} <= o.keys()):
                    bad_lines.append(line)
            except ValueError:
                bad_lines.append(line)
        check(raw and not bad_lines, f"every log line is a JSON object with time, level, message ({bad_lines[:2]})")
        check(not any("Primary School" in l or "CASE-" in l for l in raw), "no event content in the log")
        check(not h.log_errors(adapter), "no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
