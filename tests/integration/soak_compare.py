"""Committed output against `crp-adapter replay`, streamed, for the soak.

The 10-minute soak commits about ten million records; holding them (and as
many replay lines) as Python objects, as e2e_harness.compare does, would take
tens of GB. Instead both sides are streamed once and each (topic, key) keeps
only a count and a chained digest of its normalised records, in order: equal
counts and digests mean that key's sequence is the same (0 lost, 0
duplicated, same order). Only for keys that differ is a second pass made
that keeps the records themselves, to count lost, duplicated and misordered
exactly (e2e_harness.compare on that subset).
"""
import hashlib
import json
import subprocess
import time
from pathlib import Path

from confluent_kafka import KafkaError, TopicPartition

import e2e_harness as h


def stream_committed(bootstrap, topics):
    """As e2e_harness.read_committed (up to the high watermark), one record at a time."""
    c = h._consumer(bootstrap, **{"fetch.max.bytes": h.BIG * 2, "max.partition.fetch.bytes": h.BIG})
    try:
        meta = c.list_topics(timeout=10)
        parts = [TopicPartition(t, p, 0) for t in topics for p in meta.topics[t].partitions]
        high = h.high_watermarks(bootstrap, parts)
        c.assign(parts)
        pending = {(tp.topic, tp.partition) for tp in parts if high[(tp.topic, tp.partition)] > 0}
        quiet_since = time.time()
        while pending:
            batch = c.consume(1000, 0.5)
            if not batch:
                if time.time() - quiet_since > 120:
                    raise SystemExit(f"no end of partition within 120 s for {sorted(pending)}")
                continue
            quiet_since = time.time()
            for m in batch:
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        if m.offset() >= high[(m.topic(), m.partition())]:
                            pending.discard((m.topic(), m.partition()))
                        continue
                    raise SystemExit(f"consumer error: {m.error()}")
                yield {"topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
                       "key": m.key().decode() if m.key() is not None else None,
                       "headers": {k: (v or b"").decode(errors="replace") for k, v in (m.headers() or [])},
                       "value": m.value() or b""}
    finally:
        c.close()


def run_replay_to_file(binary, config, records, until, work):
    """`crp-adapter replay` with its output in a file (see replay_lines)."""
    work = Path(work)
    source, out = work / "replay-input.jsonl", work / "replay-output.jsonl"
    with open(source, "w") as f:
        for r in records:
            f.write(json.dumps({"topic": r["topic"], "key": r.get("key"), "headers": r.get("headers") or {},
                                "value": r["value"]}) + "\n")
    cmd = [binary, "replay", "--config", config, "--input", str(source)] + (["--until", until] if until else [])
    with open(out, "w") as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"replay exited {done.returncode}: {done.stderr[-2000:]}")
    return out


def replay_lines(path):
    with open(path) as f:
        for line in f:
            yield json.loads(line)


def _digest(item):
    return hashlib.blake2b("\x1f".join(item).encode(), digest_size=16).digest()


def _fold(groups, side, items, keys):
    """groups[(topic, key)][side] = [count, chained digest]."""
    for item in items:
        if item[1] not in keys:
            continue
        g = groups.setdefault((item[0], item[1]), [[0, b""], [0, b""]])[side]
        g[0] += 1
        g[1] = hashlib.blake2b(g[1] + _digest(item), digest_size=16).digest()


def compare(live_items, replay_items, keys, again):
    """live_items, replay_items: iterables of normalised tuples (topic, key, ...);
    again(): both iterables anew, for the second pass over differing keys.
    Returns e2e_harness.compare's figures, and a first difference if any."""
    groups = {}
    _fold(groups, 0, live_items, keys)
    _fold(groups, 1, replay_items, keys)
    seen = sum(g[0][0] for g in groups.values())
    expected = sum(g[1][0] for g in groups.values())
    differing = {k for k, (live, want) in groups.items() if live != want}
    del groups
    if not differing:
        return {"expected": expected, "seen": seen, "lost": 0, "duplicated": 0, "misordered": []}, None
    live2, replay2 = again()
    live_kept = [t for t in live2 if (t[0], t[1]) in differing]
    replay_kept = [t for t in replay2 if (t[0], t[1]) in differing]
    subset = h.compare(live_kept, replay_kept, {k for _, k in differing})
    result = dict(subset, expected=expected, seen=seen)
    return result, h.first_difference(live_kept, replay_kept, {k for _, k in differing})
