"""Shared pieces of the end-to-end tests of `crp-adapter run` on a real broker.

A single-node Apache Kafka from scripts/kafka-local on the test's own port,
the adapter as a child process, and third-party clients (confluent-kafka) to
feed it and to read what it committed, read_committed. The expected output
always comes from `crp-adapter replay` on the same records.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

REPO = Path(__file__).resolve().parents[2]
KAFKA_LOCAL = REPO / "scripts" / "kafka-local"
INPUT = "crp.commands"
OUTPUTS = ["crp.escalations", "crp.notifications.email", "crp.casenotes", "crp.partners.outbox", "crp.facts",
           "crp.dlq"]
CHANGELOG = "crp.state.changelog"
GROUP = "crp-adapter"
BIG = 16 * 1024 * 1024  # max.message.bytes of the input and DLQ topics


def say(name, text):
    print(f"{name}: {text}", file=sys.stderr, flush=True)


def arguments(description, port):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--adapter", default=str(REPO / "build" / "crp-adapter"), help="crp-adapter binary")
    p.add_argument("--port", type=int, default=int(os.environ.get("E2E_KAFKA_PORT", port)))
    p.add_argument("--keep", action="store_true", help="keep the broker and work directory")
    return p


class Broker:
    """scripts/kafka-local on its own port and data directory, fresh each run."""

    def __init__(self, port, secure=False, version=None):
        """secure: also SSL on port+2 and SASL_SSL (SCRAM-SHA-512) on port+3
        (see secure_info); version: another Apache Kafka than kafka-local's."""
        self.port = port
        self.data = REPO / ".kafka" / f"e2e-{port}"
        self.env = dict(os.environ, KAFKA_PORT=str(port), KAFKA_CONTROLLER_PORT=str(port + 1),
                        KAFKA_DATA=str(self.data))
        if secure:
            self.env["KAFKA_SECURE"] = "1"
        if version:
            self.env["KAFKA_VERSION"] = version
        self.bootstrap = f"127.0.0.1:{port}"

    def secure_info(self):
        """`kafka-local secure-info`: the secured listeners, CA file and SCRAM user."""
        out = self._kl("secure-info", stdout=subprocess.PIPE).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def _kl(self, *args, **kw):
        return subprocess.run([str(KAFKA_LOCAL), *args], env=self.env, check=True, text=True, **kw)

    def start(self):
        self._kl("stop")  # a leftover from an interrupted run would keep old topics
        shutil.rmtree(self.data, ignore_errors=True)
        out = self._kl("start", stdout=subprocess.PIPE).stdout.strip()
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
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
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
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

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
                     "message.max.bytes": BIG})


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
                     "enable.partition.eof": True, "auto.offset.reset": "earliest", **extra})


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
                  "isolation.level": "read_committed"})
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


# Headers that depend on where and when a record was read, not on what it was.
VOLATILE_HEADERS = {"__connect.errors.partition", "__connect.errors.offset", "ce_time"}


def normalise_live(r):
    try:
        value = json.loads(r["value"])
    except ValueError:
        value = r["value"].decode(errors="replace")
    headers = {}
    if r["topic"] == "crp.dlq":
        headers = {k: v for k, v in r["headers"].items() if k.startswith("__connect") and k not in VOLATILE_HEADERS}
    return (r["topic"], r["key"], json.dumps(value, sort_keys=True), json.dumps(headers, sort_keys=True))


def normalise_replay(line):
    headers = {}
    if line["topic"] == "crp.dlq":
        headers = {k: v for k, v in (line.get("headers") or {}).items()
                   if k.startswith("__connect") and k not in VOLATILE_HEADERS}
    return (line["topic"], line["key"], json.dumps(line["value"], sort_keys=True), json.dumps(headers, sort_keys=True))


def compare(live, replayed, keys):
    """Per (topic, key) for `keys`: lost, duplicated and whether order agrees."""
    def by_key(items):
        groups = defaultdict(list)
        for t in items:
            if t[1] in keys:
                groups[(t[0], t[1])].append(t)
        return groups
    want, got = by_key(replayed), by_key(live)
    lost = dup = 0
    misordered = []
    for k in set(want) | set(got):
        w, g = Counter(want.get(k, [])), Counter(got.get(k, []))
        lost += sum((w - g).values())
        dup += sum((g - w).values())
        if not (w - g) and not (g - w) and want.get(k) != got.get(k):
            misordered.append(k)
    expected = sum(len(v) for v in want.values())
    seen = sum(len(v) for v in got.values())
    return {"expected": expected, "seen": seen, "lost": lost, "duplicated": dup, "misordered": misordered}


class Checks:
    """Named checks that all run and are all reported; `failures` lists the failed ones."""

    def __init__(self, name):
        self.name, self.failures = name, []

    def __call__(self, ok, what):
        say(self.name, f"{'ok' if ok else 'FAIL'}: {what}")
        if not ok:
            self.failures.append(what)


def exactly_once(result):
    """Every record replay prints was committed once, in replay's order per key."""
    return (result["expected"] > 0 and result["lost"] == 0 and result["duplicated"] == 0
            and not result["misordered"])


def counts(result):
    return (f"replay {result['expected']} records, committed {result['seen']}: lost {result['lost']}, "
            f"duplicated {result['duplicated']}, misordered keys {len(result['misordered'])}")


def first_difference(live, replayed, keys):
    want = [t for t in replayed if t[1] in keys]
    got = [t for t in live if t[1] in keys]
    missing = Counter(want) - Counter(got)
    extra = Counter(got) - Counter(want)
    return {"missing": [list(t) for t in list(missing)[:3]], "extra": [list(t) for t in list(extra)[:3]]}


def log_errors(adapter):
    return [l for l in adapter.log_lines() if l.get("level") in ("error", "unparsed")]


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


class Cluster:
    """Three Apache Kafka nodes on loopback, each broker and controller of one
    KRaft quorum of three (static voters), from the jars scripts/kafka-local
    caches: brokers on port, port+1, port+2; controllers on port+10..port+12.
    Internal topics and create_topics use replication 3, min.insync.replicas 2.
    Each node is a child process the test can SIGKILL and start again."""

    NODES = 3

    def __init__(self, port, heap="-Xms128m -Xmx384m"):
        self.port, self.heap = port, heap.split()
        self.data = REPO / ".kafka" / f"e2e-cluster-{port}"
        self.bootstrap = ",".join(f"127.0.0.1:{port + i}" for i in range(self.NODES))
        self.procs = {}
        self.libs = Path(os.environ.get("CRP_CACHE", REPO / ".cache")) / \
            f"kafka-{os.environ.get('KAFKA_VERSION', '4.1.2')}" / "libs"

    def _dir(self, node):
        return self.data / f"node{node}"

    def _java(self, node, *args, level="WARN"):
        tmp = self._dir(node) / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return ["java", f"-Djava.io.tmpdir={tmp}", f"-DZstdTempFolder={tmp}", f"-Dorg.xerial.snappy.tempdir={tmp}",
                f"-Dlog4j2.configurationFile={REPO / 'scripts' / 'kafka' / 'log4j2.properties'}",
                f"-Dkafka.log.level={level}", "-cp", f"{self.libs}/*", *args]

    def _properties(self, node):
        voters = ",".join(f"{i}@127.0.0.1:{self.port + 10 + i - 1}" for i in range(1, self.NODES + 1))
        p, c = self.port + node - 1, self.port + 10 + node - 1
        return "\n".join([
            "process.roles=broker,controller", f"node.id={node}", f"controller.quorum.voters={voters}",
            "controller.listener.names=CONTROLLER",
            f"listeners=PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{c}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{p}", "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self._dir(node) / 'kraft-logs'}",
            "auto.create.topics.enable=false", "num.partitions=3",
            "default.replication.factor=3", "min.insync.replicas=2",
            "offsets.topic.replication.factor=3", "offsets.topic.num.partitions=5",
            "transaction.state.log.replication.factor=3", "transaction.state.log.num.partitions=5",
            "transaction.state.log.min.isr=2",
            "share.coordinator.state.topic.replication.factor=3", "share.coordinator.state.topic.min.isr=2",
            "group.initial.rebalance.delay.ms=0", "group.min.session.timeout.ms=1000",
            "transaction.max.timeout.ms=900000", "transaction.abort.timed.out.transaction.cleanup.interval.ms=10000",
            # A SIGKILLed broker is fenced (and loses its leaderships) after 3 s, not 9.
            "broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500",
            "replica.lag.time.max.ms=10000",
            "log.cleaner.dedupe.buffer.size=2097152", ""])

    def start(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        # kafka-local fetches the jars once (Maven Central) and prints a cluster id.
        env = dict(os.environ, KAFKA_DATA=str(self.data / "kl"), KAFKA_PORT=str(self.port))
        cluster_id = subprocess.run([str(KAFKA_LOCAL), "java-class", "kafka.tools.StorageTool", "random-uuid"],
                                    env=env, check=True, text=True, stdout=subprocess.PIPE).stdout.strip()
        for node in range(1, self.NODES + 1):
            d = self._dir(node)
            (d / "kraft-logs").mkdir(parents=True, exist_ok=True)
            (d / "server.properties").write_text(self._properties(node))
            subprocess.run(self._java(node, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                                      "-c", str(d / "server.properties")),
                           check=True, stdout=subprocess.DEVNULL)
        for node in range(1, self.NODES + 1):
            self.start_node(node, wait=False)
        self.wait_brokers(self.NODES, 120)
        return self

    def start_node(self, node, wait=True):
        d = self._dir(node)
        with open(d / "server.log", "a") as log:
            self.procs[node] = subprocess.Popen(
                self._java(node, *self.heap, "-XX:+UseG1GC", "-Djava.awt.headless=true", "kafka.Kafka",
                           str(d / "server.properties"), level="INFO"),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_brokers(self.NODES, 120)

    def kill(self, node):
        """SIGKILL: no controlled shutdown, no leadership handed over."""
        self.procs[node].send_signal(signal.SIGKILL)
        self.procs[node].wait()

    def alive(self, node):
        return node in self.procs and self.procs[node].poll() is None

    def admin(self):
        return AdminClient({"bootstrap.servers": self.bootstrap})

    def wait_brokers(self, count, timeout):
        """Until `count` brokers are registered and unfenced (listed in metadata)."""
        deadline = time.time() + timeout
        while True:
            for node, proc in self.procs.items():
                if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                    raise SystemExit(f"cluster node {node} exited {proc.returncode}; log {self._dir(node)}/server.log")
            try:
                brokers = self.admin().list_topics(timeout=5).brokers
                if len(brokers) == count:
                    return
            except Exception:
                pass
            if time.time() >= deadline:
                raise SystemExit(f"cluster: {count} brokers not up within {timeout} s")
            time.sleep(0.5)

    def describe(self, topics):
        """{(topic, partition): (leader, sorted isr)} from the cluster's metadata."""
        meta = self.admin().list_topics(timeout=10)
        return {(t, p): (m.leader, sorted(m.isrs)) for t in topics for p, m in meta.topics[t].partitions.items()}

    def stop(self, keep=False):
        for node, proc in list(self.procs.items()):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for node, proc in list(self.procs.items()):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = {}
        if not keep:
            shutil.rmtree(self.data, ignore_errors=True)

    def create_topics(self, partitions=3):
        """The service's topics (as Broker.create_topics), replication 3, min.insync.replicas 2."""
        isr = {"min.insync.replicas": "2"}
        specs = [NewTopic(INPUT, partitions, 3, config={"max.message.bytes": str(BIG), **isr}),
                 NewTopic(CHANGELOG, partitions, 3, config={"cleanup.policy": "compact", **isr})]
        specs += [NewTopic(t, partitions, 3, config={**({"max.message.bytes": str(BIG)} if t == "crp.dlq" else {}),
                                                    **isr}) for t in OUTPUTS]
        admin = self.admin()  # kept alive until the futures resolve
        for topic, future in admin.create_topics(specs, operation_timeout=30).items():
            future.result(60)
