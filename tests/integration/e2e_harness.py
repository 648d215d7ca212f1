"""Shared pieces of the end-to-end tests of `crp-adapter run` on a real broker.

A single-node Apache Kafka from scripts/kafka-local on the test's own port,
the adapter as a child process, and third-party clients (confluent-kafka) to
feed it and to read what it committed, read_committed. The expected output
always comes from `crp-adapter replay` on the same records.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

# The verdict, re-exported: every suite reads it as h.compare, h.exactly_once, ...
from e2e_verdict import (compare, counts, exactly_once, first_difference, normalise_live,  # noqa: F401
                         normalise_replay)

REPO = Path(__file__).resolve().parents[2]
KAFKA_LOCAL = REPO / "scripts" / "kafka-local"
INPUT = "crp.commands"
OUTPUTS = ["crp.escalations", "crp.notifications.email", "crp.casenotes", "crp.partners.outbox", "crp.facts",
           "crp.dlq"]
CHANGELOG = "crp.state.changelog"
GROUP = "crp-adapter"
BIG = 16 * 1024 * 1024  # max.message.bytes of the input and DLQ topics
# The test's own clients log only critical lines: while a broker is stopped each would print
# a "Connect ... refused" line every 50 ms, and in CI's excerpt of a failed suite those
# hundreds of lines hid the verdict. Their errors still reach the test as exceptions or
# delivery reports; the adapter's own librdkafka lines stay in its log.
QUIET = {"log_level": 2}


def say(name, text):
    print(f"{name}: {text}", file=sys.stderr, flush=True)


def arguments(description, port=None):
    """--adapter, --port and --keep. Without --port (or E2E_KAFKA_PORT) E2E
    puts the broker on free ports; `port` is a fixed default for a test that
    does not run under E2E."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--adapter", default=str(REPO / "build" / "crp-adapter"), help="crp-adapter binary")
    env_port = os.environ.get("E2E_KAFKA_PORT", port)
    p.add_argument("--port", type=int, default=int(env_port) if env_port else None,
                   help="first of the broker's ports (default: free ones the OS hands out)")
    p.add_argument("--keep", action="store_true", help="keep the broker and work directory")
    return p


def free_ports(count=1):
    """The first of `count` consecutive loopback ports free now, as the OS
    says by letting us bind them: two runs at once do not collide on a fixed
    range. Drawn below the OS's ephemeral range, so that no outgoing
    connection takes one between this check and the broker's bind, or while a
    test has the broker stopped."""
    try:
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    draw = random.SystemRandom()
    for _ in range(200):
        first = draw.randrange(10000, max(10001, ephemeral - count))
        held = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise SystemExit(f"no {count} consecutive free ports")


class Broker:
    """scripts/kafka-local on its own port and data directory, fresh each run."""

    def __init__(self, port=None, secure=False, version=None):
        """port: the first of its ports (None: free ones, free_ports); secure:
        also SSL on port+2 and SASL_SSL (SCRAM-SHA-512) on port+3 (see
        secure_info); version: another Apache Kafka than kafka-local's."""
        self.free, self.secure, self.version = port is None, secure, version
        self._place(port or free_ports(4 if secure else 2))

    def _place(self, port):
        self.port = port
        self.data = REPO / ".kafka" / f"e2e-{port}"
        self.env = dict(os.environ, KAFKA_PORT=str(port), KAFKA_CONTROLLER_PORT=str(port + 1),
                        KAFKA_DATA=str(self.data))
        if self.secure:
            self.env["KAFKA_SECURE"] = "1"
        if self.version:
            self.env["KAFKA_VERSION"] = self.version
        self.bootstrap = f"127.0.0.1:{port}"

    def secure_info(self):
        """`kafka-local secure-info`: the secured listeners, CA file and SCRAM user."""
        out = self._kl("secure-info", stdout=subprocess.PIPE).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def _kl(self, *args, **kw):
        return subprocess.run([str(KAFKA_LOCAL), *args], env=self.env, check=True, text=True, **kw)

    def start(self):
        """Fresh on its ports; on free ports, again on others if one was taken meanwhile."""
        for attempt in range(3):
            self._kl("stop")  # a leftover from an interrupted run would keep old topics
            shutil.rmtree(self.data, ignore_errors=True)
            try:
                out = self._kl("start", stdout=subprocess.PIPE).stdout.strip()
                break
            except subprocess.CalledProcessError:
                if not self.free or attempt == 2:
                    raise
                self.stop()
                self._place(free_ports(4 if self.secure else 2))
                print(f"e2e: the broker did not start; again on port {self.port}", file=sys.stderr, flush=True)
        assert out == f"bootstrap.servers={self.bootstrap}", out
        return self

    def stop(self, keep=False):
        self._kl("stop")
        if not keep:
            shutil.rmtree(self.data, ignore_errors=True)

    def create_topics(self, partitions=3, only=None):
        """The service's topics: inputs and changelog co-partitioned."""
        specs = [NewTopic(INPUT, partitions, 1, config={"max.message.bytes": str(BIG)}),
                 NewTopic(CHANGELOG, partitions, 1, config={"cleanup.policy": "compact"})]
        specs += [NewTopic(t, partitions, 1, config={"max.message.bytes": str(BIG)} if t == "crp.dlq" else {})
                  for t in OUTPUTS]
        if only is not None:
            specs = [s for s in specs if s.topic in only]
        admin = AdminClient({"bootstrap.servers": self.bootstrap, **QUIET})
        for topic, future in admin.create_topics(specs, operation_timeout=30).items():
            future.result(60)


def write_config(path, bootstrap, runtime, kafka=None, **sections):
    """config/crp-adapter.json with absolute paths, our broker, `runtime` and
    any other top-level `sections` replaced."""
    config = json.loads((REPO / "config" / "crp-adapter.json").read_text())
    base = REPO / "config"
    config["calendar"]["file"] = str(base / config["calendar"]["file"])
    config["protocols"] = [str(base / p) for p in config["protocols"]]
    if "file" in config.get("directory", {}):
        config["directory"]["file"] = str(base / config["directory"]["file"])
    if "file" in config.get("agencies", {}):
        config["agencies"]["file"] = str(base / config["agencies"]["file"])
    # The test broker has the canonical input topic only (Broker.create_topics); a
    # test of the case systems' topics passes its own `inputs`.
    config["inputs"] = [i for i in config.get("inputs", []) if i["topic"] == INPUT]
    # A killed member must leave the group quickly for the restarted one.
    config["kafka"] = {"bootstrap.servers": bootstrap, "session.timeout.ms": "6000",
                       "heartbeat.interval.ms": "1000", **(kafka or {})}
    config["runtime"] = runtime
    if "admin" in config:  # every test's adapter on any free port, never the default 8080
        config["admin"] = {**config["admin"], "bind": "127.0.0.1:0"}
    config.pop("webhooks", None)  # partners only where a test runs a receiver (passes webhooks=...)
    config.update(sections)
    Path(path).write_text(json.dumps(config, indent=2))
    return str(path)


class Adapter:
    """`crp-adapter run` as a child process; its JSON log goes to a file."""

    def __init__(self, binary, config, log_path, instance="e2e-1", env=None):
        self.cmd = [binary, "run", "--config", config, "--instance", instance]
        self.env = dict(os.environ, **(env or {}))
        self.log_path = Path(log_path)
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_path, "a")
        log.write(json.dumps({"e2e": f"start {self.starts}"}) + "\n")
        log.flush()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=log, env=self.env)
        log.close()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL. True if it ended a running process: the fault happened."""
        running = self.alive()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return running and self.proc.returncode == -signal.SIGKILL

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def log_lines(self):
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"level": "unparsed", "message": line})
        return out


def value_bytes(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return value.encode() if isinstance(value, str) else value


def input_producer(bootstrap):
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
                     "message.max.bytes": BIG, **QUIET})


def produce(bootstrap, records, producer=None):
    """records: dicts topic, key, headers, value, optional partition."""
    p = producer or input_producer(bootstrap)
    failures = []
    for r in records:
        kw = {"partition": r["partition"]} if r.get("partition") is not None else {}
        while True:
            try:
                p.produce(r["topic"], key=r.get("key"), value=value_bytes(r["value"]),
                          headers=list((r.get("headers") or {}).items()),
                          on_delivery=lambda err, msg: err and failures.append(err), **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    p.flush(60)
    if producer is None:
        del p  # destroyed now, not at the broker's shutdown (its reconnect noise)
    assert not failures, failures[:3]


def _consumer(bootstrap, **extra):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": f"e2e-{uuid.uuid4()}",
                     "enable.auto.commit": False, "isolation.level": "read_committed",
                     "enable.partition.eof": True, "auto.offset.reset": "earliest", **QUIET, **extra})


def high_watermarks(bootstrap, parts):
    """True ends of partitions: only a read_uncommitted client is told the high
    watermark; a read_committed one gets the last stable offset instead."""
    c = _consumer(bootstrap, **{"isolation.level": "read_uncommitted"})
    try:
        return {(tp.topic, tp.partition): c.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
    finally:
        c.close()


def end_offsets(bootstrap, topic):
    c = _consumer(bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in c.list_topics(topic, timeout=10).topics[topic].partitions]
    finally:
        c.close()
    return {p: end for (t, p), end in high_watermarks(bootstrap, parts).items()}


def committed_offsets(bootstrap, topic, partitions):
    """The adapter's group offsets, as its transactions committed them."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False,
                  "isolation.level": "read_committed", **QUIET})
    try:
        got = c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()


def wait_consumed(bootstrap, adapter, timeout, name, topics=(INPUT,)):
    """Until the group's committed offsets reach the end of every partition of
    the input `topics` (as they are now). Returns the ends of the first."""
    ends = {t: end_offsets(bootstrap, t) for t in topics}
    deadline = time.time() + timeout
    done = {}
    while time.time() < deadline:
        if adapter is not None and not adapter.alive():
            raise SystemExit(f"{name}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
        try:
            done = {t: committed_offsets(bootstrap, t, end) for t, end in ends.items()}
        except Exception as e:  # coordinator moving, group rebalancing
            say(name, f"committed offsets not readable yet: {e}")
            time.sleep(0.5)
            continue
        if all(end[p] == 0 or done[t].get(p, -1) >= end[p] for t, end in ends.items() for p in end):
            return ends[topics[0]]
        time.sleep(0.2)
    raise SystemExit(f"{name}: input not consumed within {timeout} s: committed {done}, end {ends}")


def eventually(read, ok, timeout, adapter=None, every=0.2, name="e2e"):
    """Reads `read()` until `ok(value)` holds or `timeout` s have passed, and
    returns the last value read: a counter, metric or topic that another
    thread or process updates is awaited, never read once."""
    deadline = time.time() + timeout
    while True:
        if adapter is not None and not adapter.alive():
            raise SystemExit(f"{name}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
        value = read()
        if ok(value) or time.time() >= deadline:
            return value
        time.sleep(every)


def current_run(lines):
    """The log lines of the adapter's latest start (Adapter.start marks each)."""
    for i in range(len(lines) - 1, -1, -1):
        if "e2e" in lines[i]:
            return lines[i + 1:]
    return lines


def admin_port(adapter, timeout=60, name="e2e"):
    """The port the adapter's admin server bound (the tests bind port 0), from
    the 'admin server listening' log line of its latest start."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in current_run(adapter.log_lines()):
            if line.get("message") == "admin server listening":
                return line["port"]
        if not adapter.alive():
            raise SystemExit(f"{name}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
        time.sleep(0.1)
    raise SystemExit(f"{name}: no 'admin server listening' log line")


def read_committed(bootstrap, topics):
    """Every record of `topics` written so far, as a read_committed reader sees
    it: read up to the high watermark, not just to the first end of partition,
    which an open transaction (of a killed instance, until the broker aborts
    it) can hold back."""
    c = _consumer(bootstrap, **{"fetch.max.bytes": BIG * 2, "max.partition.fetch.bytes": BIG})
    meta = c.list_topics(timeout=10)
    parts = [TopicPartition(t, p, 0) for t in topics for p in meta.topics[t].partitions]
    high = high_watermarks(bootstrap, parts)
    c.assign(parts)
    pending = {(tp.topic, tp.partition) for tp in parts}
    out, deadline = [], time.time() + 120
    try:
        while pending and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= high[(m.topic(), m.partition())]:
                        pending.discard((m.topic(), m.partition()))
                    continue
                raise SystemExit(f"consumer error: {m.error()}")
            out.append({"topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
                        "key": m.key().decode() if m.key() is not None else None,
                        "headers": {k: (v or b"").decode(errors="replace") for k, v in (m.headers() or [])},
                        # as Kafka holds them: the dict above would hide a repeated name
                        "header_list": [(k, (v or b"").decode(errors="replace")) for k, v in (m.headers() or [])],
                        "value": m.value() or b""})
        if pending:
            raise SystemExit(f"no end of partition within 120 s for {sorted(pending)}")
        return out
    finally:
        c.close()


def run_replay(binary, config, records, until, work):
    """What `crp-adapter replay` prints for the same records (one per line)."""
    path = Path(work) / "replay-input.jsonl"
    with open(path, "w") as f:
        for r in records:
            value = r["value"] if isinstance(r["value"], (dict, list, str)) else r["value"].decode()
            f.write(json.dumps({"topic": r["topic"], "key": r.get("key"), "headers": r.get("headers") or {},
                                "value": value}) + "\n")
    cmd = [binary, "replay", "--config", config, "--input", str(path)]
    if until:
        cmd += ["--until", until]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"replay exited {done.returncode}: {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()]


class Checks:
    """Named checks that all run and are all reported; `failures` lists the failed ones."""

    def __init__(self, name):
        self.name, self.failures = name, []

    def __call__(self, ok, what):
        say(self.name, f"{'ok' if ok else 'FAIL'}: {what}")
        if not ok:
            self.failures.append(what)


class E2E:
    """One end-to-end test's run: its work directory, its broker (on free ports
    unless --port), the adapters it starts, its named checks and the verdict.

        with h.E2E(NAME, args) as t:
            adapter = t.adapter(t.config({"clock": "event"}))
            ...
            t.check(ok, "what held")
        return t.status

    On leaving, every adapter still running is killed, `cleanup` callbacks
    run, the broker stops, and the verdict is said: `NAME: 1 passed, 0 failed`
    and exit status 0, or the failed checks with the kept work directory and
    status 1. An exception (SystemExit included) tears down the same way and
    goes on up."""

    def __init__(self, name, args, partitions=3, start=True, secure=False, version=None):
        self.name, self.args, self.partitions = name, args, partitions
        self.checks = Checks(name)
        self.failures = self.checks.failures
        self.adapters, self.cleanups = [], []
        self.work = Path(tempfile.mkdtemp(prefix=f"crp-{name.replace('_', '-')}-"))
        self.broker = Broker(args.port, secure=secure, version=version)
        self.start_broker, self.status, self.summary = start, None, ""

    @property
    def bootstrap(self):
        return self.broker.bootstrap

    def __enter__(self):
        try:
            if self.start_broker:
                self.broker.start()
                if self.partitions:
                    self.broker.create_topics(self.partitions)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def config(self, runtime, file="service.json", **sections):
        """write_config into the work directory, for this run's broker."""
        return write_config(self.work / file, self.bootstrap, runtime, **sections)

    def adapter(self, config, log="adapter.log", instance="e2e-1", env=None, start=True):
        """`crp-adapter run` (started unless start=False), killed on leaving if still running."""
        a = Adapter(self.args.adapter, config, self.work / log, instance=instance, env=env)
        self.adapters.append(a)
        return a.start() if start else a

    def check(self, ok, what):
        self.checks(ok, what)
        return ok

    def say(self, text):
        say(self.name, text)

    def exactly_once(self, config, inputs, until, keys, what=""):
        """Checks that a read_committed reader of every output topic sees exactly
        what `replay` prints for `inputs` up to `until`, for the `keys`. Returns
        the comparison (counts and misordered keys)."""
        live = [normalise_live(r) for r in read_committed(self.bootstrap, OUTPUTS)]
        replayed = [normalise_replay(l) for l in run_replay(self.args.adapter, config, inputs, until, self.work)
                    if l["topic"] in OUTPUTS]
        result = compare(live, replayed, keys)
        if not self.check(exactly_once(result), f"{what}{counts(result)}"):
            self.say(f"first differences: {json.dumps(first_difference(live, replayed, keys))[:3000]}; "
                     f"misordered: {result['misordered'][:5]}")
        return result

    def __exit__(self, kind, error, tb):
        for a in self.adapters:
            if a.alive():
                a.kill()
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.broker.stop(keep=self.args.keep)
        if kind is not None or self.failures:
            if kind is not None:
                self.say(f"FAIL: {kind.__name__}: {error}")
            else:
                self.say(f"FAIL: {len(self.failures)} checks failed: {self.failures}")
            self.say(f"work dir {self.work}")
            self.status = 1
        else:
            if self.args.keep:
                self.say(f"kept {self.work}")
            else:
                shutil.rmtree(self.work, ignore_errors=True)
            print(f"{self.name}: 1 passed, 0 failed{self.summary}", flush=True)
            self.status = 0
        return False


def log_errors(adapter):
    """Error lines, less librdkafka's FATAL lines the adapter logged that it recovered from
    by replacing its producer (adapter/infra/kafka/transactional_producer.cpp):
    INVALID_TXN_STATE ("... in an invalid state") after a rapid kill or a moved leadership,
    and a fencing of a transaction its coordinator timed out (after a coordinator failover)."""
    lines = adapter.log_lines()
    messages = {l.get("message", "") for l in lines}
    refused = "abort refused: replacing the transactional producer" in messages
    timed_out = "transaction timed out on its coordinator: replacing the transactional producer" in messages

    def recovered(l):
        detail = l.get("detail", "")
        return l.get("facility") in ("FATAL", "TXNERR") and (
            (refused and "invalid state" in detail) or (timed_out and "fenced" in detail))
    return [l for l in lines if l.get("level") in ("error", "unparsed") and not recovered(l)]


def canonical_records(lines, prefix):
    """Scenario input lines as records with challenge ids made unique by `prefix`."""
    out = []
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("topic") != INPUT:
            continue
        value = r.get("value")
        if isinstance(value, dict):
            value = dict(value)
            for field in ("challenge_id", "event_id"):
                if isinstance(value.get(field), str):
                    value[field] = f"{prefix}/{value[field]}"
        key = r.get("key")
        if isinstance(value, dict) and isinstance(value.get("challenge_id"), str):
            key = value["challenge_id"]  # one challenge, one partition
        elif key is not None:
            key = f"{prefix}/{key}"
        out.append({"topic": INPUT, "key": key, "headers": r.get("headers") or {}, "value": value})
    return out


def occurred_at(record):
    """Sort key: the event time (records without one sort first)."""
    v = record["value"]
    try:
        return datetime.fromisoformat(v["occurred_at"]).timestamp()
    except (TypeError, KeyError, ValueError):
        return 0.0


def iso(timestamp):
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_records(partitions, at):
    """One event per input partition at `at`: moves every partition's event clock
    past the last deadline compared (replay has one clock, the service one per
    partition). Keyed apart so they are not compared."""
    return [{"topic": INPUT, "key": f"__clock-{p}", "partition": p, "headers": {},
             "value": {"type": "challenge.raised", "event_id": f"__clock-{p}", "occurred_at": at,
                       "challenge_id": f"__clock-{p}", "case_id": "CLOCK", "protocol": "rotherham"}}
            for p in range(partitions)]


# The years the adapter takes event dates from (in_service_years in adapter/calendar/time.h):
# an event dated outside them is dead-lettered and moves no clock.
SERVICE_YEARS = (datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp(),
                 datetime(2101, 1, 1, tzinfo=timezone.utc).timestamp())


def day_after(records, partitions):
    """(clock records a day after the last event, replay's `until` a second
    before them): both sides fire every timer due by then (see clock_records).
    Events dated outside the service years (a year typo, dead-lettered) are not
    the last event: the live clock records would be dead-lettered as well."""
    last = max(t for t in map(occurred_at, records) if SERVICE_YEARS[0] <= t < SERVICE_YEARS[1])
    return clock_records(partitions, iso(last + 86400)), iso(last + 86400 - 1)
