#!/usr/bin/env python3
"""End to end: GOV.UK Notify emails from `crp-adapter run` to a local
Notify-compatible HTTPS receiver (docs/decisions/0049).

Three Rotherham challenges (raised, stage 1 form, response, rejected, stage 2
form) make the engine write email records; the adapter's Notify sender POSTs
each to /v2/notifications/email. The receiver (a certificate from the test's
CA, which the adapter is given) checks every request's JWT with the
independent PyJWT (HS256, iss = the service id, iat within 30 s) and answers
in Notify's documented shapes: 201 with an id; 429 RateLimitError for every
request in the clock minute of the first one (the key is over its per-minute
limit until that minute ends); 400 BadRequestError for an unknown template.
Checked: every email arrives with a valid JWT, the 429s are absorbed with no
loss and no duplicate (by reference) by holding the channel until the minute
ends (a 429'd email is accepted in a later minute and nothing else is sent in
the meantime), the 400 is dead-lettered with
Notify's message, every delivery's notification.sent carries Notify's id,
and a permanent-failure callback on the admin server yields
notification.failed (no address) and the fallback email, which is sent too.
"""
import json
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt  # PyJWT: the receiver's verifier is not the project's code

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_harness import (E2E, INPUT, admin_port, arguments, eventually, free_ports, log_errors,  # noqa: E402
                         produce, read_committed, run_replay, say, write_config)
from webhook_receiver import Certificates  # noqa: E402

NAME = "e2e_notify"
EMAIL = "crp.notifications.email"
OPERATIONS = "crp.operations"
CHALLENGES = [f"E2E-N-{i}" for i in range(3)]
BAD_TEMPLATE = "00000000-0000-0000-0000-000000000000"
TEAM = "crp-team@authority.example"


def notify_error(status, error, message):
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


class NotifyReceiver:
    """Notify's POST /v2/notifications/email over HTTPS with keep-alive."""

    def __init__(self, port, cert, key, service_id, secret):
        self.port, self.service_id, self.secret = port, service_id, secret
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.lock = threading.Lock()
        self.requests = []  # dicts: reference, status, id, jwt_problem, connection
        self.over_limit_minute = None  # the clock minute of the first valid request: all answered 429
        self.server = None

    def verify(self, authorization):
        """None when the JWT is valid as Notify checks it, else the problem."""
        if not authorization.startswith("Bearer "):
            return "no Bearer token"
        try:
            claims = jwt.decode(authorization[7:], self.secret, algorithms=["HS256"],
                                options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as e:
            return f"PyJWT: {e}"
        if claims["iss"] != self.service_id:
            return f"iss {claims['iss']} is not the service id"
        if abs(time.time() - claims["iat"]) > 30:
            return f"iat {claims['iat']} is more than 30 s from now"
        return None

    def answer(self, body, jwt_problem):
        if jwt_problem:
            return notify_error(403, "AuthError", "Invalid token: signature, api token not found")
        if body.get("template_id") == BAD_TEMPLATE:
            return notify_error(400, "BadRequestError", "Template not found")
        minute = int(time.time() // 60)
        with self.lock:  # Notify's limit is per key per minute: it lifts when the minute ends
            if self.over_limit_minute is None:
                self.over_limit_minute = minute
        if minute == self.over_limit_minute:
            return notify_error(429, "RateLimitError",
                                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds")
        return 201, {"id": str(uuid.uuid4()), "reference": body.get("reference"),
                     "content": {"subject": "s", "body": "b", "from_email": "crp@notifications.service.gov.uk"},
                     "uri": "https://api.notifications.service.gov.uk/v2/notifications/x",
                     "template": {"id": body.get("template_id"), "version": 1, "uri": "x"}}

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Notify

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                problem = receiver.verify(self.headers.get("authorization", ""))
                if self.path != "/v2/notifications/email":
                    status, answer = 404, {"status_code": 404, "errors": [{"error": "NotFound"}]}
                else:
                    body = json.loads(raw)
                    at = time.time()
                    status, answer = receiver.answer(body, problem)
                    with receiver.lock:
                        receiver.requests.append({"reference": body.get("reference"), "status": status, "at": at,
                                                  "id": answer.get("id"), "jwt_problem": problem,
                                                  "connection": id(self.connection), "body": body})
                text = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                try:
                    request = receiver.context.wrap_socket(request, server_side=True)
                    super().finish_request(request, client_address)
                except (ssl.SSLError, OSError, ValueError):
                    pass

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def received(self):
        with self.lock:
            return list(self.requests)


def rotherham(challenge, now):
    """Raised 3 h ago, form, response, rejected (to stage 2), stage 2 form."""
    def at(hours_ago):
        return (now - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = {"challenge_id": challenge, "case_id": f"LCS-{challenge}", "protocol": "rotherham"}
    events = [({"type": "challenge.raised", "agency": "health_visiting"}, 3),
              ({"type": "duty.completed", "duty": "stage1_form"}, 2.8),
              ({"type": "challenge.response_received"}, 2), ({"type": "challenge.response_rejected"}, 1),
              ({"type": "duty.completed", "duty": "stage2_form"}, 0.8)]
    return [{"topic": INPUT, "key": challenge,
             "value": {**base, **e, "event_id": f"{challenge}-evt-{i}", "occurred_at": at(h)}}
            for i, (e, h) in enumerate(events)]


def post(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json",
                                          **({"authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    args = arguments(__doc__).parse_args()
    with E2E(NAME, args, start=False) as t:
        work, broker, check = t.work, t.broker, t.check
        rx_port = free_ports()
        certs = Certificates(work / "certs")
        service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
        (work / "notify-key").write_text(f"crp-e2e-{service_id}-{secret}\n")
        callback_token = uuid.uuid4().hex
        (work / "callback-token").write_text(callback_token + "\n")
        receiver = NotifyReceiver(rx_port, *certs.good, service_id, secret).start()
        t.cleanups.append(receiver.stop)

        broker.start()
        broker.create_topics(3)
        notify = {"api_key": {"file": str(work / "notify-key")}, "base_url": f"https://localhost:{rx_port}",
                  "ca_file": certs.ca, "callback_token": {"file": str(work / "callback-token")},
                  "fallback_email": TEAM}
        config = write_config(work / "config.json", broker.bootstrap,
                              {"create_topics": True, "commit_interval_ms": 100}, notify=notify)
        adapter = t.adapter(config)
        admin = f"http://127.0.0.1:{admin_port(adapter, name=NAME)}"

        now = datetime.now(timezone.utc)
        records = [r for c in CHALLENGES for r in rotherham(c, now)]
        expected = {l["value"]["reference"] for l in run_replay(args.adapter, config, records, None, work)
                    if l["topic"] == EMAIL}
        say(NAME, f"replay: {len(expected)} email records from {len(CHALLENGES)} challenges")
        check(len(expected) >= 3 * len(CHALLENGES), f"the challenges make several emails each ({len(expected)})")
        produce(broker.bootstrap, records)
        bad_ref = "E2E-N-bad:1:practitioner"
        produce(broker.bootstrap, [{"topic": EMAIL, "key": "E2E-N-bad", "value": {
            "template_id": BAD_TEMPLATE, "email_address": "someone@authority.example",
            "personalisation": {"case_reference": "x"}, "reference": bad_ref}}])

        def accepted():
            return Counter(r["reference"] for r in receiver.received() if r["status"] == 201)

        got = eventually(accepted, lambda a: expected <= set(a), 150, adapter, name=NAME)
        check(expected <= set(got), f"every email record reached Notify ({len(expected & set(got))} of "
                                    f"{len(expected)})")
        reqs = receiver.received()
        problems = [r["jwt_problem"] for r in reqs if r["jwt_problem"]]
        check(not problems and reqs, f"all {len(reqs)} requests carried a JWT PyJWT accepts (iss = service id, "
                                     f"iat within 30 s): problems {problems[:3]}")
        burst = [r for r in reqs if r["status"] == 429]
        check(burst and {r["reference"] for r in burst} <= set(got),
              f"the {len(burst)} requests answered 429 RateLimitError were retried and accepted")
        minute_ends = (receiver.over_limit_minute + 1) * 60
        late = [r["reference"] for r in burst
                if not any(a["reference"] == r["reference"] and a["status"] == 201 and a["at"] >= minute_ends
                           for a in reqs)]
        check(not late, f"each 429'd email was accepted after the over-limit minute ended ({late})")
        first_429 = min(r["at"] for r in burst) if burst else 0
        during = [r["reference"] for r in reqs if first_429 + 1 < r["at"] < minute_ends]
        check(not during, f"the channel held: nothing sent from 1 s after the first 429 to the minute's end "
                          f"({during})")
        dups = {ref: n for ref, n in got.items() if n > 1}
        check(not dups, f"no email was accepted twice (by reference): {dups}")
        connections = len({r["connection"] for r in reqs})
        check(connections < len(reqs), f"keep-alive: {len(reqs)} requests over {connections} connections")

        def dlq():
            return [r for r in read_committed(broker.bootstrap, ["crp.dlq"])
                    if r["headers"].get("__connect.errors.exception.class.name") == "crp.NotifyDeliveryFailed"]
        dead = eventually(dlq, lambda d: d, 30, adapter, every=0.5, name=NAME)
        msg = dead[0]["headers"].get("__connect.errors.exception.message", "") if dead else ""
        check(len(dead) == 1 and dead[0]["headers"].get("crp.notify.status") == "400"
              and "BadRequestError: Template not found" in msg and dead[0]["headers"].get("crp.notify.id") == bad_ref,
              f"the 400 was dead-lettered once with Notify's error and message ({msg!r})")
        check(sum(1 for r in reqs if r["reference"] == bad_ref) == 1, "the 400 was not retried")

        ids = {r["reference"]: r["id"] for r in receiver.received() if r["status"] == 201}

        def sent_events():
            return [json.loads(r["value"]) for r in read_committed(broker.bootstrap, [OPERATIONS])]
        ops = eventually(sent_events, lambda o: expected <= {e["data"]["reference"] for e in o
                                                             if e["type"] == "uk.gov.crp.notification.sent"},
                         30, adapter, every=0.5, name=NAME)
        sent = {e["data"]["reference"]: e["data"]["notification_id"] for e in ops
                if e["type"] == "uk.gov.crp.notification.sent"}
        check(all(sent.get(ref) == ids[ref] for ref in expected),
              "every delivered email has notification.sent with Notify's notification id")

        # Delivery receipts on the admin server.
        failed_ref = sorted(expected)[0]
        receipt = {"id": ids[failed_ref], "reference": failed_ref, "to": "practitioner@authority.example",
                   "status": "permanent-failure", "created_at": now.isoformat(), "notification_type": "email",
                   "template_id": "t", "template_version": 1}
        url = f"{admin}/notify/callback"
        check(post(url, receipt) == 401 and post(url, receipt, "wrong-token-0123456789") == 401,
              "a receipt without the callback token is refused (401)")
        check(post(url, dict(receipt, status="delivered", reference=sorted(expected)[1]), callback_token) == 200,
              "a delivered receipt is accepted (200)")
        check(post(url, receipt, callback_token) == 200, "the permanent-failure receipt is accepted once recorded")
        fallback_ref = failed_ref + ":fallback"

        def fallback_sent():
            return [r for r in receiver.received() if r["reference"] == fallback_ref and r["status"] == 201]
        fb = eventually(fallback_sent, lambda f: f, 30, adapter, name=NAME)
        check(len(fb) == 1 and fb[0]["body"]["email_address"] == TEAM and not fb[0]["jwt_problem"],
              f"the fallback email to {TEAM} was sent to Notify with a valid JWT")
        emails = [json.loads(r["value"]) for r in read_committed(broker.bootstrap, [EMAIL])]
        fb_records = [e for e in emails if e.get("reference") == fallback_ref]
        check(len(fb_records) == 1 and fb_records[0]["personalisation"].get("failed_reference") == failed_ref,
              "one fallback email record on the email topic names the failed reference")
        failed = [e for e in sent_events() if e["type"] == "uk.gov.crp.notification.failed"]
        check(len(failed) == 1 and failed[0]["data"] == {"reference": failed_ref, "status": "permanent-failure",
                                                        "notification_id": ids[failed_ref]},
              f"one notification.failed with reference, status and Notify's id ({[f['data'] for f in failed]})")
        ops_bytes = b"".join(r["value"] for r in read_committed(broker.bootstrap, [OPERATIONS]))
        check(b"@" not in ops_bytes, "no email address on the operations topic")
        check(b"@authority.example" not in adapter.log_path.read_bytes(), "no email address in the adapter's log")
        errors = [l for l in log_errors(adapter) if l.get("message") != "notification delivery dead-lettered"]
        check(not errors, f"no unexpected error logged ({errors[:2]})")
        check(adapter.stop() == 0, "the adapter stopped cleanly on SIGTERM")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
