"""A partner agency's webhook receiver for the end-to-end tests: real HTTPS
(Python's ssl module, certificates made by `openssl` for each run), HTTP/1.1
keep-alive, and a script of misbehaviours per path (status codes,
Retry-After, a stalled response, a connection reset).

Every request is recorded with its raw body bytes, so a test can assert on
exactly what a partner received; signatures are checked by the tests with
the independent `standardwebhooks` package, never with the project's code.
"""
import socket
import ssl
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Certificates:
    """A test CA and server certificates: `good` (localhost, signed by the CA),
    `wrong_host` (signed by the CA, but for wrong.example) and `wrong_ca`
    (localhost, signed by another CA the adapter does not trust)."""

    def __init__(self, directory):
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.dir = d
        self.ca = str(d / "ca.pem")
        self._ca("ca")
        self._ca("other-ca")
        self.good = self._server("good", "ca", "DNS:localhost,IP:127.0.0.1", "localhost")
        self.wrong_host = self._server("wrong-host", "ca", "DNS:wrong.example", "wrong.example")
        self.wrong_ca = self._server("wrong-ca", "other-ca", "DNS:localhost,IP:127.0.0.1", "localhost")

    def _ca(self, name):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
                 "-days", "2", "-subj", f"/CN=crp e2e {name}", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)

    def _server(self, name, ca, san, cn):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", cwd=self.dir)
        (self.dir / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=self.dir)
        return str(self.dir / f"{name}.pem"), str(self.dir / f"{name}.key")


class Request:
    def __init__(self, path, headers, body, outcome):
        self.path = path
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body  # raw bytes, as received
        self.outcome = outcome  # what the receiver did: "200", "500", "reset", "stall", ...
        self.at = time.monotonic()
        self.webhook_id = self.headers.get("webhook-id")

    @property
    def accepted(self):
        return self.outcome.startswith("2")


class Receiver:
    """An HTTPS server on 127.0.0.1:`port` with a behaviour per path.

    behave(path, fn): fn(request_number_for_this_webhook_id, webhook_id) returns
    an action: 200 (or any status), (status, {headers}, body), "reset" (TCP RST
    after reading the request) or ("stall", seconds) (answer 200 only after that).
    """

    def __init__(self, port, cert, key):
        self.port = port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.requests = []
        self.handshake_failures = 0
        self.behaviours = {}
        # Paths answered with "Connection: close": every request on a fresh
        # connection, so a reset cannot pass for a stale keep-alive connection
        # (which a client rightly retries at once on a new one).
        self.close_after = set()
        self.counts = {}  # (path, webhook_id) -> requests so far
        self.lock = threading.Lock()
        self.server = None

    def behave(self, path, fn):
        with self.lock:
            self.behaviours[path] = fn

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                wid = self.headers.get("webhook-id")
                with receiver.lock:
                    n = receiver.counts.get((self.path, wid), 0) + 1
                    receiver.counts[(self.path, wid)] = n
                    fn = receiver.behaviours.get(self.path, lambda n, wid: 200)
                action = fn(n, wid)
                if action == "reset":
                    receiver._record(self.path, self.headers, body, "reset")
                    # SO_LINGER 0: close() sends a TCP RST, not a FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                headers, text = {}, b"ok"
                if isinstance(action, tuple) and action[0] == "stall":
                    receiver._record(self.path, self.headers, body, "stall")
                    time.sleep(action[1])
                    status = 200
                else:
                    if isinstance(action, tuple):
                        status, headers, text = action[0], action[1], action[2].encode()
                    else:
                        status = int(action)
                    receiver._record(self.path, self.headers, body, str(status))
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if self.path in receiver.close_after:
                        self.send_header("connection", "close")
                        self.close_connection = True
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    self.close_connection = True

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                # The TLS handshake in the connection's own thread: a client
                # that refuses our certificate must not block the others.
                try:
                    request = receiver.context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    with receiver.lock:
                        receiver.handshake_failures += 1
                    return
                try:
                    super().finish_request(request, client_address)
                except (OSError, ValueError):
                    pass  # the connection we reset on purpose

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _record(self, path, headers, body, outcome):
        with self.lock:
            self.requests.append(Request(path, dict(headers.items()), body, outcome))

    def received(self, path=None, accepted_only=False):
        with self.lock:
            return [r for r in self.requests
                    if (path is None or r.path == path) and (not accepted_only or r.accepted)]


# ---- partner configuration and checks shared by tests/integration/e2e_webhooks_*.py

def new_secret():
    import base64
    import os
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def write_partner(directory, pid, url, ca_file, secret, schedule_ms=(200, 400), timeout_ms=1000,
                  failures_to_open=1000, open_for_ms=1000, allowed=None, subscription=None, max_in_flight=8):
    """One partner file (schemas/partner.schema.json) and its secret file."""
    import json
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{pid}.secret").write_text(secret + "\n")
    partner = {
        "id": pid, "kind": "health", "url": url,
        "secrets": [{"file": f"{pid}.secret"}],
        "subscription": subscription or {},
        "allowed_fields": allowed if allowed is not None else
        ["type", "challenge_id", "protocol", "stage", "stage_label", "occurred_at", "due_at"],
        "timeout_ms": timeout_ms, "max_in_flight": max_in_flight,
        "retry": {"schedule_ms": list(schedule_ms), "jitter": 0},
        "circuit_breaker": {"failures_to_open": failures_to_open, "open_for_ms": open_for_ms},
        "ca_file": ca_file,
    }
    (d / f"{pid}.json").write_text(json.dumps(partner, indent=2))


def outbox_record(challenge, seq, occurred_at="2027-03-02T16:45:00Z"):
    """A partner decision as the engine writes it to crp.partners.outbox."""
    return {"topic": "crp.partners.outbox", "key": challenge, "headers": {},
            "value": {"route": "bscp", "delivery_id": f"{challenge}:{seq}", "type": "challenge.stage_started",
                      "challenge_id": challenge, "case_id": "LCS-E2E", "protocol": "bradford",
                      "agency": "childrens_social_care", "stage": "stage5",
                      "stage_label": "Referral to the Bradford Safeguarding Children Partnership",
                      "occurred_at": occurred_at}}


def signature_problems(requests, secret):
    """Every request checked with the independent `standardwebhooks` package."""
    from standardwebhooks.webhooks import Webhook
    hook, problems = Webhook(secret), []
    for r in requests:
        try:
            hook.verify(r.body, r.headers)
        except Exception as e:  # WebhookVerificationError or a malformed header
            problems.append(f"{r.webhook_id}: {e}")
    return problems


def wait_for(predicate, timeout, what, adapter=None, every=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if adapter is not None and not adapter.alive():
            raise SystemExit(f"adapter exited with {adapter.proc.returncode} while waiting for {what}")
        if predicate():
            return True
        time.sleep(every)
    return False
