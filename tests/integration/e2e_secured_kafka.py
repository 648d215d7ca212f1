#!/usr/bin/env python3
"""End to end over secured Kafka: `crp-adapter run` talks to the broker only
through its SSL listener, then only through its SASL_SSL (SCRAM-SHA-512) one,
configured with nothing but `kafka.*` properties (the password from a file).
Each time a third-party producer (confluent-kafka, over the same secured
listener) feeds a subset of the seed scenarios, and what a read_committed
reader sees must equal what `crp-adapter replay` prints for the same input.

Then the mistakes: a CA that did not sign the broker's certificate, and a
wrong password (from an environment variable), must each make the adapter
exit non-zero within FAIL_BOUND seconds with a log line naming the cause.
No password (SCRAM, wrong one, keystore) may appear in any log of the run.

Brokers: scripts/kafka-local with KAFKA_SECURE=1 (test CA, broker keystore
and SCRAM user made with openssl in its data dir). The project's broker is
Kafka 4.1.2 (SSL and SASL_SSL listeners). librdkafka before 2.6.1 (Debian 12
has 2.0.2) sends a SCRAM final message that Kafka 4.x refuses even with the
right password (librdkafka#4895, docs/decisions/0022): with such a build this
test checks that the adapter says so at once, and runs SCRAM against a second
broker, Kafka 3.9.1. Built on Debian 13 (librdkafka 2.8,
scripts/debian13-adapter, decision 0055), the adapter runs SCRAM on Kafka 4.1
itself: `--adapter build-debian13/crp-adapter-chroot`.
"""
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import e2e_harness as h

NAME = "e2e_secured_kafka"
PARTITIONS = 3
FAIL_BOUND = 30  # seconds from start to exit for a credential mistake
SCRAM_BROKER_VERSION = "3.9.1"
SCRAM_FIXED_LIBRDKAFKA = 0x020601FF


class Flow:
    """One secured run's own topics, group and transactional ids: `tag`.*"""

    def __init__(self, tag):
        self.tag = tag
        schema = json.loads((h.REPO / "schemas" / "service-config.schema.json").read_text())
        keys = schema["properties"]["topics"]["properties"].keys()
        self.topics = {k: f"{tag}.{k}" for k in keys}
        self.input = f"{tag}.commands"
        self.outputs = [t for k, t in self.topics.items() if k != "changelog"]
        self.group = f"crp-{tag}"

    def create_topics(self, bootstrap):
        big = {"max.message.bytes": str(h.BIG)}
        specs = [NewTopic(self.input, PARTITIONS, 1, config=big),
                 NewTopic(self.topics["changelog"], PARTITIONS, 1, config={"cleanup.policy": "compact"})]
        specs += [NewTopic(t, PARTITIONS, 1, config=big if k == "dlq" else {})
                  for k, t in self.topics.items() if k != "changelog"]
        admin = AdminClient({"bootstrap.servers": bootstrap})  # alive until every future resolves
        for future in admin.create_topics(specs, operation_timeout=30).values():
            future.result(60)

    def config(self, path, kafka):
        return h.write_config(path, kafka["bootstrap.servers"],
                              {"clock": "event", "commit_interval_ms": 100, "group_id": self.group,
                               "transactional_id_prefix": self.group},
                              kafka=kafka, topics=self.topics,
                              inputs=[{"topic": self.input, "connector": "canonical"}])

    def records(self, files):
        records = []
        for f in files:
            prefix = f"{self.tag}.{f.parent.name}.{f.name.removesuffix('.in.jsonl')}"
            for r in h.canonical_records(f.read_text().splitlines(), prefix):
                records.append(dict(r, topic=self.input))
        records.sort(key=h.occurred_at)
        return records

    def wait_consumed(self, bootstrap, adapter, timeout):
        """Until the group's committed offsets reach the end of every input partition."""
        parts = [TopicPartition(self.input, p) for p in range(PARTITIONS)]
        end = {p: e for (_, p), e in h.high_watermarks(bootstrap, parts).items()}
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": self.group, "enable.auto.commit": False})
        deadline, done = time.time() + timeout, {}
        try:
            while time.time() < deadline:
                if not adapter.alive():
                    raise SystemExit(f"{NAME}: adapter exited with {adapter.proc.returncode}; log {adapter.log_path}")
                try:
                    done = {tp.partition: tp.offset for tp in c.committed(parts, timeout=10)}
                except Exception as e:  # the group coordinator is still loading
                    h.say(NAME, f"committed offsets not readable yet: {e}")
                if all(done.get(p, -1) >= e for p, e in end.items()):
                    return
                time.sleep(0.2)
        finally:
            c.close()
        raise SystemExit(f"{NAME}: input not consumed within {timeout} s: committed {done}, end {end}")


def client_settings(kafka):
    """The adapter's kafka.* settings for confluent-kafka (secrets resolved)."""
    out = {}
    for k, v in kafka.items():
        if isinstance(v, dict):
            v = Path(v["file"]).read_text().strip() if "file" in v else os.environ[v["env"]]
        out[k] = v
    return out


def equivalence(checks, adapter_bin, broker, flow, kafka, files, work, logs):
    """Runs the adapter over `kafka` and compares its committed output with replay."""
    flow.create_topics(broker.bootstrap)
    config = flow.config(work / f"{flow.tag}.json", kafka)
    records = flow.records(files)
    clock, until = h.day_after(records, PARTITIONS)
    inputs = records + [dict(r, topic=flow.input) for r in clock]
    keys = {r["key"] for r in records if r["key"]}
    adapter = h.Adapter(adapter_bin, config, work / f"{flow.tag}.log", instance=flow.tag).start()
    logs.append(adapter.log_path)
    try:
        producer = Producer({**client_settings(kafka), "enable.idempotence": True, "linger.ms": 5})
        h.produce(None, inputs, producer=producer)
        producer.flush(30)
        flow.wait_consumed(broker.bootstrap, adapter, 120)
        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, flow.outputs)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(adapter_bin, config, inputs, until, work)]
        result = h.compare(live, replayed, keys)
        rc = adapter.stop()
    finally:
        if adapter.alive():
            adapter.kill()
    errors = h.log_errors(adapter)
    checks(h.exactly_once(result), f"{flow.tag}: {len(records)} records of {len(files)} scenarios over "
                                   f"{kafka['security.protocol']}: {h.counts(result)}")
    if not h.exactly_once(result):
        h.say(NAME, json.dumps(h.first_difference(live, replayed, keys))[:2000])
    checks(rc == 0 and not errors, f"{flow.tag}: clean stop (exit {rc}, error lines {errors[:2]})")
    return config


def refused(checks, adapter_bin, config, log_path, want, logs, env=None, hint=None):
    """The adapter must exit non-zero within FAIL_BOUND s, logging `want`."""
    adapter = h.Adapter(adapter_bin, config, log_path, env=env)
    logs.append(adapter.log_path)
    started = time.monotonic()
    adapter.start()
    try:
        rc = adapter.proc.wait(FAIL_BOUND)
    except subprocess.TimeoutExpired:
        adapter.kill()
        rc = None
    took = time.monotonic() - started
    lines = [l for l in adapter.log_lines() if l.get("level") == "error" and want in l.get("message", "")]
    tag = log_path.stem
    checks(rc not in (None, 0), f"{tag}: exit {rc} after {took:.1f} s (bound {FAIL_BOUND} s)")
    checks(bool(lines), f"{tag}: an error line says {want!r}: {lines[0]['message'] if lines else None}")
    if hint is not None:
        checks(any(hint in l.get("hint", "") for l in lines), f"{tag}: the line carries the hint {hint!r}")
    return lines


def broker_log_clean(checks, broker, secrets_seen):
    text = (broker.data / "server.log").read_text(errors="replace")
    leaked = sum(1 for s in secrets_seen if s and s in text)
    checks(leaked == 0, f"no password in the log of the broker on {broker.port} ({leaked} found)")


def librdkafka_version(adapter_bin):
    """The librdkafka the adapter runs with, as rd_kafka_version() (`--version` says it:
    "crp-adapter 0.1.0 (librdkafka 2.0.2)"; the binary may run in a chroot)."""
    out = subprocess.run([adapter_bin, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor, patch = (int(x) for x in out.split("librdkafka ")[1].split(")")[0].split(".")[:3])
    return (major << 24) | (minor << 16) | (patch << 8) | 0xFF


def scram(checks, adapter_bin, broker, flow, files, work, logs, secrets_seen, wrong):
    """SASL_SSL with SCRAM-SHA-512 on `broker`: exactly-once, and a wrong password refused."""
    info = broker.secure_info()
    password_file = info["sasl.password.file"]
    secrets_seen.append(Path(password_file).read_text().strip())
    sasl = {"bootstrap.servers": info["sasl_ssl.bootstrap.servers"], "security.protocol": "SASL_SSL",
            "ssl.ca.location": info["ssl.ca.location"], "sasl.mechanism": info["sasl.mechanism"],
            "sasl.username": info["sasl.username"], "sasl.password": {"file": password_file}}
    config = equivalence(checks, adapter_bin, broker, flow, sasl, files, work, logs)
    bad = json.loads(Path(config).read_text())
    bad["kafka"]["sasl.password"] = {"env": "CRP_E2E_SASL_PASSWORD"}
    (work / f"{flow.tag}-wrong-password.json").write_text(json.dumps(bad))
    refused(checks, adapter_bin, str(work / f"{flow.tag}-wrong-password.json"), work / f"{flow.tag}-wrong-password.log",
            "SASL authentication failed", logs, env={"CRP_E2E_SASL_PASSWORD": wrong})
    broker_log_clean(checks, broker, secrets_seen)


def main():
    args = h.arguments(__doc__).parse_args()
    files = sorted((h.REPO / "tests" / "scenarios").glob("**/*.in.jsonl"))[::4]
    logs, secrets_seen = [], []
    wrong = "wrong-" + secrets.token_hex(12)
    secrets_seen.append(wrong)

    # ---- Kafka 4.1.2: SSL, an untrusted CA; SCRAM (refused by an old librdkafka)
    with h.E2E(NAME, args, 0, secure=True) as t:
        work, checks, broker = t.work, t.checks, t.broker
        info = broker.secure_info()
        secrets_seen += [Path(info["sasl.password.file"]).read_text().strip(),
                         (broker.data / "secure" / "keystore.password").read_text().strip()]
        ssl = {"bootstrap.servers": info["ssl.bootstrap.servers"], "security.protocol": "SSL",
               "ssl.ca.location": info["ssl.ca.location"]}
        config = equivalence(checks, args.adapter, broker, Flow("ssl"), ssl, files, work, logs)

        other_ca = work / "other-ca"
        subprocess.run([str(h.REPO / "scripts" / "kafka" / "make-test-pki"), "--ca-only", str(other_ca)], check=True)
        untrusted = json.loads(Path(config).read_text())
        untrusted["kafka"]["ssl.ca.location"] = str(other_ca / "ca.pem")
        (work / "untrusted.json").write_text(json.dumps(untrusted))
        refused(checks, args.adapter, str(work / "untrusted.json"), work / "untrusted-ca.log",
                "TLS certificate is not trusted", logs)

        version = librdkafka_version(args.adapter)
        if version >= SCRAM_FIXED_LIBRDKAFKA:
            # A librdkafka with the fix (Debian 13's 2.8: scripts/debian13-adapter) logs in to Kafka 4.x.
            h.say(NAME, f"librdkafka {version >> 24}.{(version >> 16) & 0xFF}.{(version >> 8) & 0xFF}: "
                        "SASL_SSL with SCRAM-SHA-512 on kafka-local's Kafka 4.1")
            scram(checks, args.adapter, broker, Flow("sasl4"), files, work, logs, secrets_seen, wrong)
            broker.stop(keep=args.keep)
        else:
            scram4 = dict(untrusted)
            scram4["kafka"] = {**untrusted["kafka"], "bootstrap.servers": info["sasl_ssl.bootstrap.servers"],
                               "security.protocol": "SASL_SSL", "ssl.ca.location": info["ssl.ca.location"],
                               "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": info["sasl.username"],
                               "sasl.password": {"file": info["sasl.password.file"]}}
            (work / "scram-kafka4.json").write_text(json.dumps(scram4))
            refused(checks, args.adapter, str(work / "scram-kafka4.json"), work / "scram-kafka4.log",
                    "SASL authentication failed", logs, hint="librdkafka before 2.6.1")
            broker_log_clean(checks, broker, secrets_seen)
            broker.stop(keep=args.keep)

            # ---- Kafka 3.9.1: SASL_SSL with SCRAM-SHA-512, and a wrong password
            scram_broker = h.Broker(args.port and args.port + 10, secure=True, version=SCRAM_BROKER_VERSION)
            t.cleanups.append(lambda: scram_broker.stop(keep=args.keep))
            scram_broker.start()
            scram(checks, args.adapter, scram_broker, Flow("sasl"), files, work, logs, secrets_seen, wrong)

        texts = {str(p): Path(p).read_text(errors="replace") for p in logs}
        leaked = [(p, i) for p, text in texts.items() for i, s in enumerate(secrets_seen) if s and s in text]
        checks(not leaked and len(texts) >= 4,
               f"none of {len(secrets_seen)} passwords in {len(texts)} adapter logs (leaks: {leaked[:3]})")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
