"""The soak's partner agency (tests/integration/e2e_soak.py): a real HTTPS
receiver (webhook_receiver.Receiver, certificates from a CA made for the run)
that flaps between healthy and failing while the soak runs, and the checks
of what it received.

Phases, repeated while the feed runs, healthy for good afterwards:
  healthy   200 at once;
  503       503 with Retry-After: 1 (the adapter must wait at least 1 s);
  refused   the partner's process is gone: the listening socket is closed
            (new connections refused) and any request on a connection kept
            alive from before is answered by a TCP reset;
  500       500.

Delivery rule checked (Standard Webhooks: at-least-once, the receiver
de-duplicates by webhook-id): every webhook-id the outbox holds for the
partner is accepted (2xx) at least once; an id is accepted more than once
only when the adapter did not see the earlier 2xx, i.e. for every extra
acceptance the adapter logged a failed attempt of that id whose error is not
an HTTP status nor a refused connection (a timeout or a reset after the
request was sent). With a healthy receiver answering at once there should be
none. Every request carries a valid signature (the independent
`standardwebhooks` package, checked within seconds of receipt: it refuses
timestamps older than 5 minutes), the body the partner received is exactly
the one `replay` prints for it, and a challenge's deliveries arrive in outbox
order: no request for a challenge's next delivery before the previous one was
accepted.
"""
import json
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from webhook_receiver import Certificates, Receiver, new_secret

PARTNER = "rotherham-rscp"
SECRET_ENV = "CRP_PARTNER_SECRET_ROTHERHAM_RSCP"
# The Rotherham Safeguarding Children Partnership gets both of its routes:
# the Business Unit at Stage 3 and the Practice Review Group at Stage 4, so a
# challenge escalated to Stage 4 gives it two deliveries whose order matters.
ROUTES = ["rscp_business_unit", "rscp_practice_review_group"]
# What a partnership needs to act, nothing about the child or the case.
ALLOWED = ["type", "challenge_id", "protocol", "stage", "stage_label", "occurred_at", "due_at"]
PHASES = [("healthy", 7), ("503", 4), ("healthy", 6), ("refused", 5), ("healthy", 6), ("500", 4)]


def webhook_id(delivery_id):
    """decision 0008: msg_<challenge id>_<seq>_<partner> (soak ids need no escaping)."""
    challenge, seq = delivery_id.rsplit(":", 1)
    return f"msg_{challenge}_{seq}_{PARTNER}"


class FlappingPartner:
    def __init__(self, work, port):
        self.certs = Certificates(Path(work) / "certs")
        self.secret = new_secret()
        self.rx = Receiver(port, *self.certs.good)
        self.rx.behave("/crp", self._answer)
        self.url = f"https://localhost:{port}/crp"
        self.phase = "healthy"
        self.phase_log = []  # (monotonic, phase)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._flap, daemon=True)
        self.listen_errors = []
        self.checked = 0  # requests whose signatures were verified
        self.bad_signatures = []

    def write_config(self, directory):
        """schemas/partner.schema.json; the secret from the environment (env())."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        partner = {
            "id": PARTNER, "kind": "safeguarding_partnership", "url": self.url,
            "description": "Soak: a partnership whose receiver keeps failing and recovering.",
            "secrets": [{"env": SECRET_ENV}],
            "subscription": {"routes": ROUTES, "protocols": ["rotherham"]},
            "allowed_fields": ALLOWED,
            # 3 s: a receiver on a loaded 2-core machine answers well within it;
            # a timeout would be a legitimate redelivery (see the rule above).
            "timeout_ms": 3000, "max_in_flight": 8,
            # Retries every 0.25-2 s for about 90 s: longer than any failing
            # phase, so nothing is dead-lettered (the outage is scaled from hours).
            "retry": {"schedule_ms": [250, 500, 1000] + [2000] * 45, "jitter": 0.2},
            "circuit_breaker": {"failures_to_open": 5, "open_for_ms": 2000},
            "ca_file": self.certs.ca,
        }
        (d / f"{PARTNER}.json").write_text(json.dumps(partner, indent=2))
        return d

    def env(self):
        return {SECRET_ENV: self.secret}

    def start(self):
        self.rx.start()
        return self

    def start_flapping(self):
        self.thread.start()

    def stop_flapping(self):
        """Healthy from now on (the listener back if it was closed)."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()

    def stop(self):
        self.stop_flapping()
        self.rx.stop()

    def _answer(self, n, wid):
        phase = self.phase
        if phase == "503":
            return (503, {"Retry-After": "1"}, "busy")
        if phase == "500":
            return 500
        if phase == "refused":
            return "reset"  # a connection kept alive from before the partner went down
        return 200

    def _set(self, phase):
        if phase == "refused" and self.phase != "refused":
            self.phase = phase  # connections kept alive are reset from now on
            self.rx.stop()  # new connections are refused
        elif phase != "refused" and self.phase == "refused":
            self._listen_again()
            self.phase = phase
        else:
            self.phase = phase
        self.phase_log.append((time.monotonic(), phase))

    def _listen_again(self):
        """The port is ours (SO_REUSEADDR); a failed bind is retried rather
        than leaving the partner down for good and the drain to time out."""
        for _ in range(50):
            try:
                self.rx.start()
                return
            except OSError as e:
                self.listen_errors.append(str(e))
                time.sleep(0.1)
        raise SystemExit(f"the partner's receiver cannot listen again: {self.listen_errors[-1]}")

    def _flap(self):
        i = 0
        while not self.stopping.is_set():
            name, seconds = PHASES[i % len(PHASES)]
            self._set(name)
            self.stopping.wait(seconds)
            i += 1
        self._set("healthy")

    def verify_new(self):
        """Signatures of the requests received since the last call, while
        their webhook-timestamp is within standardwebhooks' 5-minute tolerance."""
        from standardwebhooks.webhooks import Webhook
        hook = Webhook(self.secret)
        requests = self.rx.received()
        for r in requests[self.checked:]:
            try:
                hook.verify(r.body, r.headers)
            except Exception as e:  # WebhookVerificationError or a malformed header
                self.bad_signatures.append(f"{r.webhook_id} ({r.outcome}): {e}")
        self.checked = len(requests)

    def accepted_ids(self):
        return {r.webhook_id for r in self.rx.received(accepted_only=True)}

    def phases_seen(self):
        return Counter(p for _, p in self.phase_log)


def expected_deliveries(outbox_records):
    """Per challenge, in outbox order: the webhook-ids the partner must receive."""
    per_challenge = defaultdict(list)
    for r in outbox_records:
        value = json.loads(r["value"])
        if value.get("route") in ROUTES and value.get("protocol") == "rotherham":
            per_challenge[r["key"]].append(webhook_id(value["delivery_id"]))
    return per_challenge


def check_deliveries(check, partner, per_challenge, replayed_bodies, adapter_log):
    """The rule in the module docstring; returns figures for the report."""
    requests = partner.rx.received()
    expected = {w for ids in per_challenge.values() for w in ids}
    accepted = Counter(r.webhook_id for r in requests if r.accepted)
    outcomes = Counter(r.outcome for r in requests)
    failed = [l for l in adapter_log
              if l.get("message") == "webhook attempt failed; retry scheduled" and l.get("partner") == PARTNER]
    errors = Counter(l.get("error") for l in failed)
    unseen_answer = Counter(l.get("webhook_id") for l in failed
                            if not str(l.get("error", "")).startswith("HTTP ")
                            and l.get("error") != "connection refused")

    missing = expected - set(accepted)
    check(expected and not missing,
          f"partner {PARTNER}: all {len(expected)} webhooks of the outbox accepted ({len(missing)} missing: "
          f"{sorted(missing)[:3]})")
    unexpected = set(accepted) - expected
    check(not unexpected, f"no webhook accepted that the outbox does not hold ({sorted(unexpected)[:3]})")
    duplicates = {w: n - 1 for w, n in accepted.items() if n > 1}
    unexplained = {w: n for w, n in duplicates.items() if n > unseen_answer.get(w, 0)}
    check(not unexplained,
          f"{sum(duplicates.values())} duplicate acceptances, each after an attempt whose answer the adapter "
          f"did not see (timeout/reset); unexplained: {sorted(unexplained.items())[:3]}")

    bodies = defaultdict(set)
    for r in requests:
        bodies[r.webhook_id].add(r.body)
    check(all(len(b) == 1 for b in bodies.values()),
          "every attempt of a webhook-id carried the same body bytes (built once, decision 0008)")
    check(set(replayed_bodies) == expected,
          f"replay prints a webhook:{PARTNER} line for exactly the outbox's deliveries "
          f"({len(replayed_bodies)} vs {len(expected)})")
    differ = [w for w in expected & set(bodies)
              if json.loads(next(iter(bodies[w]))) != replayed_bodies.get(w)]
    check(not differ, f"each body received is the one replay prints ({len(differ)} differ: {differ[:2]})")
    data_keys = set()
    for b in bodies.values():
        data_keys |= set(json.loads(next(iter(b)))["data"])
    leaked = [w for w, b in bodies.items() if b"CASE-" in next(iter(b)) or b"Health Visiting" in next(iter(b))]
    check(data_keys <= set(ALLOWED) and not leaked,
          f"bodies hold only allowlisted fields ({sorted(data_keys)}); no case id or agency in the bytes")

    partner.verify_new()
    check(not partner.bad_signatures and partner.checked == len(requests),
          f"standardwebhooks verified all {partner.checked} requests' signatures ({partner.bad_signatures[:2]})")

    first_accept, first_request = {}, {}
    for r in requests:
        first_request.setdefault(r.webhook_id, r.at)
        if r.accepted:
            first_accept.setdefault(r.webhook_id, r.at)
    out_of_order = []
    for challenge, ids in per_challenge.items():
        for before, after in zip(ids, ids[1:]):
            if before not in first_accept or first_request.get(after, float("inf")) < first_accept[before]:
                out_of_order.append(challenge)
                break
    several = sum(1 for ids in per_challenge.values() if len(ids) > 1)
    check(several > 0 and not out_of_order,
          f"in order per challenge: for the {several} challenges with several deliveries, none requested "
          f"before the previous one was accepted ({out_of_order[:3]})")

    seen = partner.phases_seen()
    check(all(seen[p] for p in ("503", "refused", "500")) and outcomes["503"] and outcomes["500"]
          and errors["connection refused"],
          f"the partner flapped: phases {dict(seen)}; receiver answered {dict(outcomes)}; "
          f"adapter saw {dict(errors)}; listener restarts retried {len(partner.listen_errors)} times")
    return {"expected": len(expected), "accepted": sum(accepted.values()),
            "duplicates": sum(duplicates.values()), "outcomes": dict(outcomes), "adapter_errors": dict(errors),
            "failed_attempts": len(failed), "several": several}
