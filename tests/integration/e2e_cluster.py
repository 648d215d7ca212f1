"""A three-node Apache Kafka cluster on loopback for the e2e tests (e2e_cluster_faults):
KRaft, every node a broker and a controller, replication 3, min.insync.replicas 2, from
the jars scripts/kafka-local caches; each node a child process a test can kill."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from e2e_harness import BIG, CHANGELOG, INPUT, KAFKA_LOCAL, OUTPUTS, QUIET, REPO


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
        if self.data.exists():  # a broker from an interrupted run still writing: format would fail
            raise SystemExit(f"cluster: {self.data} could not be removed (a broker of an earlier run alive?)")
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

    def terminate(self, node, timeout=60):
        """SIGTERM: a controlled shutdown (leaderships handed over first), as a
        rolling restart stops each broker. Returns the exit code."""
        self.procs[node].send_signal(signal.SIGTERM)
        return self.procs[node].wait(timeout)

    def alive(self, node):
        return node in self.procs and self.procs[node].poll() is None

    def quorum(self):
        """(leader id, leader epoch) of the KRaft controller quorum, as
        kafka-metadata-quorum describe --status reports it (asked of the
        controllers still running); (None, None) if none answers."""
        live = [n for n in range(1, self.NODES + 1) if self.alive(n)] or [1]
        controllers = ",".join(f"127.0.0.1:{self.port + 10 + n - 1}" for n in live)
        try:
            out = subprocess.run(self._java(live[0], "-Xmx96m", "org.apache.kafka.tools.MetadataQuorumCommand",
                                            "--bootstrap-controller", controllers, "describe", "--status",
                                            level="ERROR"),
                                 text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20).stdout
        except subprocess.TimeoutExpired:
            return None, None
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        try:
            return int(fields["LeaderId"]), int(fields["LeaderEpoch"])
        except (KeyError, ValueError):
            return None, None

    def admin(self):
        return AdminClient({"bootstrap.servers": self.bootstrap, **QUIET})

    def _until(self, metadata_ok, timeout, every, failure, admin=None):
        """Asks for metadata (of `admin`, else any broker) until metadata_ok(it) holds; exits
        with `failure` after `timeout` s or as soon as a node dies on its own."""
        deadline = time.time() + timeout
        while True:
            for node, proc in self.procs.items():
                if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                    raise SystemExit(f"cluster node {node} exited {proc.returncode}; log {self._dir(node)}/server.log")
            asked = admin if admin is not None else self.admin()
            try:
                if metadata_ok(asked.list_topics(timeout=5)):
                    return
            except Exception:
                pass
            if time.time() >= deadline:
                raise SystemExit(f"cluster: {failure} within {timeout} s")
            time.sleep(every)

    def wait_brokers(self, count, timeout):
        """Until `count` brokers are registered and unfenced (listed in metadata)."""
        self._until(lambda meta: len(meta.brokers) == count, timeout, 0.5, f"{count} brokers not up")

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
        # Created is not yet seen everywhere: each broker learns new topics from the controller
        # on its own time, and the adapter, asking whichever broker it reaches first, refused to
        # start ("topic crp.commands does not exist") on a loaded machine. Wait for every broker.
        want = {s.topic for s in specs}

        def all_led(meta):
            return want <= {t for t, m in meta.topics.items() if m.error is None and len(m.partitions) == partitions
                            and all(pm.leader >= 0 for pm in m.partitions.values())}
        for node in range(1, self.NODES + 1):
            one = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.port + node - 1}", **QUIET})
            self._until(all_led, 120, 0.2, f"broker {node} does not list every topic", admin=one)
