#!/usr/bin/env python3
"""Exactly-once on a three-broker KRaft cluster under broker faults.

Three Apache Kafka nodes on loopback (e2e_cluster.Cluster: each a broker and
one of three KRaft controllers), every topic with replication factor 3 and
min.insync.replicas 2. `crp-adapter run` (event clock, timers firing) consumes
input produced at a steady rate (--rate events/s, until the faults are done)
while the test, in turn,
  input-leader   SIGKILLs the broker leading input partition 0 (and whatever
                 input and changelog partitions it also leads), awaits the new
                 leaders, restarts the broker;
  coordinator    SIGKILLs the broker that is the adapter's transaction
                 coordinator (leader of its __transaction_state partition)
                 the moment the adapter's committed offsets move (it commits
                 every 100 ms while input flows), so its open transaction must
                 finish through the new coordinator (librdkafka retries) or be
                 aborted and retried by the adapter;
  output-leader  SIGKILLs the broker leading crp.escalations partition 0 (and
                 whatever output partitions it also leads);
  controller     SIGKILLs the active KRaft controller (in this combined-mode
                 cluster it is also a broker) and awaits a new quorum leader
                 with a higher epoch (kafka-metadata-quorum describe --status);
  rolling        restarts the three brokers one by one as an operator would:
                 SIGTERM (controlled shutdown), the broker's leaderships moved
                 off it, start it again, every partition back to 3 in-sync
                 replicas before the next.
Each fault is asserted to have happened (leaders, coordinator or quorum leader
before and after differ, read with AdminClient or the quorum tool) and every
killed or stopped broker is restarted and awaited back at 3 in-sync replicas.
The time to recover after each fault is the time from the kill (or SIGTERM)
to the adapter's first transaction committed after it (the group's committed
input offsets move; the outputs of those events commit in the same
transaction); it is printed per fault with "recovery" and as one JSON line.
Then a read_committed consumer must see exactly what `crp-adapter replay`
prints for the same input: 0 lost, 0 duplicated, same order per challenge, and
the adapter was started once and never exited.

CI runs the short variant: coordinator, output-leader, controller (383 s at
load average 16 on 2 cores; each fault costs a broker restart). The
long one, every fault (the rolling restart is three), by hand:
  tests/integration/e2e_run.sh tests/integration/e2e_cluster_faults.py \\
      --adapter build/crp-adapter --faults all [--rounds 2]
(--rounds repeats the whole sequence; --faults picks faults, in order.)
The recovery of a rolling-restart step is timed from the broker's exit (its
controlled shutdown before that hands its leaderships over while the adapter
keeps committing).
Figures: docs/benchmarks.md, "Three-broker cluster faults". Two faults this
test found are fixed in changelog_restore.cpp: when the killed broker was also
the group coordinator the restore that followed waited 93.6 s for the dead
leader (cached metadata; now refreshed before it queries), and once the
restarted broker took its preferred leadership back the restore spun on "Not
leader for partition" until the adapter exited 1.
"""
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e_harness as h
from e2e_cluster import Cluster
from e2e_crash_recovery import workload

NAME = "e2e_cluster_faults"
PARTITIONS = 3
TXN_STATE = "__transaction_state"
TXN_STATE_PARTITIONS = 5  # transaction.state.log.num.partitions of the cluster
# What the adapter logs when a transaction call fails or its transaction is aborted.
TXN_TROUBLE = ("transaction call failed, retrying", "transaction must be aborted",
               "transaction aborted: rewinding input and restoring state")


def java_hash(text):
    """java.lang.String.hashCode, as Kafka maps a transactional.id to its
    __transaction_state partition (Utils.abs(hash) % partitions)."""
    n = 0
    for ch in text.encode("utf-16-be").decode("utf-16-be"):
        n = (31 * n + ord(ch)) & 0xFFFFFFFF
    n = n - (1 << 32) if n >= 1 << 31 else n
    return 0 if n == -(1 << 31) else abs(n)


def feed_until(bootstrap, records, rate, stop):
    """Produces `records` in order at `rate` events/s until `stop` is set or
    they run out; returns how many were produced (a prefix of `records`)."""
    chunk = max(1, rate // 10)
    began, producer, n = time.time(), h.input_producer(bootstrap), 0
    while n < len(records) and not stop.is_set():
        h.produce(bootstrap, records[n:n + chunk], producer)
        n = min(len(records), n + chunk)
        ahead = began + n / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
    return n


FAULTS = ("input-leader", "coordinator", "output-leader", "controller", "rolling")
CI_FAULTS = ("coordinator", "output-leader", "controller")


def main():
    p = h.arguments(__doc__, 20500)
    p.add_argument("--rate", type=int, default=150, help="input events per second while the faults run")
    p.add_argument("--events", type=int, default=100000, help="at most this many events")
    p.add_argument("--rounds", type=int, default=1, help="how many times to run the whole sequence of faults")
    p.add_argument("--faults", default=",".join(CI_FAULTS),
                   help=f"comma-separated, in order, of {FAULTS}; 'all': every one (default: {CI_FAULTS})")
    p.add_argument("--seed", type=int, default=1217)
    args = p.parse_args()
    faults = list(FAULTS) if args.faults == "all" else [f for f in args.faults.split(",") if f]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        p.error(f"unknown faults {unknown}")
    records = workload(args.events, args.seed)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    keys = {r["key"] for r in records}
    h.say(NAME, f"input at {args.rate} events/s, faults {faults} x {args.rounds}, 3 brokers")

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-cluster-"))
    started = time.time()
    cluster = Cluster(args.port).start()
    h.say(NAME, f"cluster up in {time.time() - started:.1f} s: {cluster.bootstrap}")
    adapter = None
    check = h.Checks(NAME)
    topics = [h.INPUT, h.CHANGELOG]
    recoveries = []
    try:
        cluster.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", cluster.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100, "max_batch": 1000})
        adapter = h.Adapter(args.adapter, config, work / "adapter.log", instance="cluster-1").start()
        h.admin_port(adapter, name=NAME)
        feed_errors, stop_feed, fed = [], threading.Event(), [0]

        def feeding():
            try:
                fed[0] = feed_until(cluster.bootstrap, records, args.rate, stop_feed)
            except BaseException as e:  # reported by the main thread
                feed_errors.append(repr(e))
        feeder = threading.Thread(target=feeding, daemon=True)
        feeder.start()

        def committed_total():
            try:
                return sum(max(0, o) for o in h.committed_offsets(cluster.bootstrap, h.INPUT,
                                                                  range(PARTITIONS)).values())
            except Exception:
                return -1

        # Every ~0.1 s the group's committed input offsets, with the time read:
        # a recovery is timed from these samples, not from when the test
        # (busy asserting leaders) looked.
        samples, watching = [], threading.Event()

        def watch():
            while not watching.is_set():
                samples.append((time.time(), committed_total()))
                time.sleep(0.1)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def progressed_since(base, timeout):
            """Seconds until the adapter's committed input offsets pass `base`."""
            t0 = time.time()
            got = h.eventually(committed_total, lambda v: v > base, timeout, adapter=adapter, every=0.1, name=NAME)
            return time.time() - t0 if got > base else None

        def all_in_sync(timeout):
            every = topics + h.OUTPUTS
            desc = h.eventually(lambda: cluster.describe(every),
                                lambda d: all(len(isr) == 3 for _, isr in d.values()), timeout, adapter=adapter)
            return all(len(isr) == 3 for _, isr in desc.values())

        def leaders(which):
            return {f"{t}/{p}": v[0] for (t, p), v in which.items()}

        def recovered(label, t_fault, base, what):
            """Awaits the first transaction committed after the fault and records it."""
            def first():
                return next((t for t, v in list(samples) if t > t_fault and v > base), None)
            at = h.eventually(first, lambda t: t is not None, 120, adapter=adapter, name=NAME)
            took = at
            since = (at or time.time()) - t_fault
            check(took is not None, f"{label}: the adapter committed input again {what} ({since:.1f} s after)")
            recoveries.append({"fault": label, "recovered_s": round(since, 1) if took is not None else None})
            h.say(NAME, f"recovery {label}: {since:.1f} s")

        def restart(node, label):
            cluster.start_node(node)
            check(all_in_sync(120), f"{label}: broker {node} restarted and every partition is back to "
                                    f"3 in-sync replicas")

        def kill_leader(label, topic, watched):
            """SIGKILLs the leader of `topic` partition 0; awaits every partition
            of `watched` it led on another broker and the adapter committing."""
            before = cluster.describe(watched)
            victim = before[(topic, 0)][0]
            led = sorted(k for k, (leader, _) in before.items() if leader == victim)
            h.say(NAME, f"{label}: SIGKILL broker {victim}, leader of {led}")
            t_kill = time.time()
            cluster.kill(victim)
            base = committed_total()
            after = h.eventually(lambda: cluster.describe(watched),
                                 lambda d: all(d[k][0] not in (victim, -1) for k in led), 60, adapter=adapter)
            elected = time.time() - t_kill
            h.say(NAME, f"{label}: leaders {leaders(before)} -> {leaders(after)} in {elected:.1f} s")
            check(all(after[k][0] not in (victim, -1) for k in led) and led,
                  f"{label}: leadership of {len(led)} partitions moved off broker {victim} ({elected:.1f} s)")
            recovered(label, t_kill, base, f"with broker {victim} down")
            restart(victim, label)

        def coordinator_fault(label):
            tid = next((l["transactional_id"] for l in adapter.log_lines() if "transactional_id" in l), None)
            check(tid is not None, f"the adapter logged its transactional.id ({tid})")
            tpart = java_hash(tid or "") % TXN_STATE_PARTITIONS
            coordinator = cluster.describe([TXN_STATE])[(TXN_STATE, tpart)][0]
            lines_before = len(adapter.log_lines())
            # Killed the moment the adapter's committed offsets move: it commits every
            # 100 ms while input flows, so a transaction is open (or committing) then.
            moving = progressed_since(committed_total(), 30)
            cluster.kill(coordinator)
            t_kill = time.time()
            base = committed_total()
            h.say(NAME, f"{label}: SIGKILLed broker {coordinator}, transaction coordinator of {tid} "
                        f"({TXN_STATE}/{tpart})")
            check(moving is not None, f"{label}: the adapter was committing transactions when the coordinator "
                                      f"was killed")
            d = h.eventually(lambda: cluster.describe([TXN_STATE]),
                             lambda d: d[(TXN_STATE, tpart)][0] not in (coordinator, -1), 60, adapter=adapter)
            check(d[(TXN_STATE, tpart)][0] not in (coordinator, -1),
                  f"{label}: the coordinator moved from broker {coordinator} to {d[(TXN_STATE, tpart)][0]} "
                  f"({time.time() - t_kill:.1f} s)")
            recovered(label, t_kill, base, "through the new coordinator")
            lost = f"127.0.0.1:{args.port + coordinator - 1}"

            def trouble_lines():
                return [l for l in adapter.log_lines()[lines_before:]
                        if l.get("message") in TXN_TROUBLE
                        or (l.get("client") == "producer" and "TxnCoordinator" in str(l.get("detail", ""))
                            and lost in str(l.get("detail", "")))]
            trouble = h.eventually(trouble_lines, bool, 30, adapter=adapter)
            h.say(NAME, f"{label}: adapter log after the kill: "
                        f"{[(l.get('message'), str(l.get('detail', ''))[:100]) for l in trouble[:3]]}")
            check(bool(trouble), f"{label}: the adapter's log shows its transactional producer lost coordinator "
                                 f"{lost} and retried (or aborted) ({len(trouble)} lines)")
            restart(coordinator, label)

        def controller_fault(label):
            # Each ask is a JVM tool (up to 20 s on a loaded machine): the waits allow several asks.
            leader, epoch = h.eventually(cluster.quorum, lambda q: q[0] is not None, 120, adapter=adapter, every=1)
            check(leader is not None, f"{label}: the quorum names its active controller ({leader}, epoch {epoch})")
            if leader is None:
                return
            t_kill = time.time()
            cluster.kill(leader)
            base = committed_total()
            h.say(NAME, f"{label}: SIGKILLed node {leader}, active KRaft controller (epoch {epoch})")
            new, new_epoch = h.eventually(cluster.quorum, lambda q: q[0] not in (None, leader) and q[1] > epoch,
                                          120, adapter=adapter, every=1)
            check(new not in (None, leader) and (new_epoch or 0) > epoch,
                  f"{label}: the quorum elected controller {new} (epoch {epoch} -> {new_epoch}, "
                  f"{time.time() - t_kill:.1f} s)")
            recovered(label, t_kill, base, f"with controller {leader} down")
            restart(leader, label)

        def rolling_restart(label):
            for node in range(1, cluster.NODES + 1):
                step = f"{label} {node}/{cluster.NODES}"
                every = topics + h.OUTPUTS + [TXN_STATE]
                before = cluster.describe(every)
                led = sorted(k for k, (leader, _) in before.items() if leader == node)
                t_stop = time.time()
                rc = cluster.terminate(node)
                t_down = time.time()
                base = committed_total()
                h.say(NAME, f"{step}: broker {node} (leader of {len(led)} partitions) stopped on SIGTERM, exit {rc}, "
                            f"{t_down - t_stop:.1f} s")
                after = h.eventually(lambda: cluster.describe(every),
                                     lambda d: all(d[k][0] not in (node, -1) for k in led), 60, adapter=adapter)
                check(not cluster.alive(node) and all(after[k][0] not in (node, -1) for k in led),
                      f"{step}: broker {node} is down and its {len(led)} leaderships moved to "
                      f"{sorted({after[k][0] for k in led})}")
                recovered(step, t_down, base, f"with broker {node} stopped (timed from its exit)")
                restart(node, step)

        # The adapter works before any fault.
        check(progressed_since(0, 60) is not None, "the adapter commits input before the faults")
        for round_ in range(1, args.rounds + 1):
            for fault in faults:
                label = fault if args.rounds == 1 else f"{fault} (round {round_})"
                check(feeder.is_alive(), f"{label}: input still flowing")
                if fault == "input-leader":
                    kill_leader(label, h.INPUT, topics)
                elif fault == "output-leader":
                    kill_leader(label, "crp.escalations", h.OUTPUTS)
                elif fault == "coordinator":
                    coordinator_fault(label)
                elif fault == "controller":
                    controller_fault(label)
                else:
                    rolling_restart(label)

        stop_feed.set()
        watching.set()
        feeder.join()
        check(not feed_errors, f"the input was produced without error {feed_errors[:2]}")
        produced = records[:fed[0]]
        h.say(NAME, f"{len(produced)} events produced over {time.time() - started:.0f} s")
        h.produce(cluster.bootstrap, h.clock_records(PARTITIONS, final))
        h.wait_consumed(cluster.bootstrap, adapter, 300, NAME)
        live = [h.normalise_live(r) for r in h.read_committed(cluster.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(
            args.adapter, config, produced + h.clock_records(PARTITIONS, final), until, work)]
        result = h.compare(live, replayed, keys)
        h.say(NAME, h.counts(result))
        check(h.exactly_once(result), "exactly once: 0 lost, 0 duplicated, same order per challenge")
        check(adapter.alive() and adapter.starts == 1, f"the adapter never exited ({adapter.starts} start)")
        rc = adapter.stop()
        check(rc == 0, f"the adapter stopped cleanly on SIGTERM (exit {rc})")
        aborts = sum(1 for l in adapter.log_lines() if str(l.get("message", "")).startswith("transaction aborted"))
        errors = h.log_errors(adapter)
        h.say(NAME, f"{aborts} aborted transactions, {len(errors)} error log lines "
                    f"{[(e.get('message'), str(e.get('detail', ''))[:100]) for e in errors[:3]]}; "
                    f"{time.time() - started:.0f} s")
        h.say(NAME, "recoveries " + h.json.dumps({"rate": args.rate, "events": len(produced),
                                                  "records": result["expected"], "faults": recoveries}))
        if check.failures:
            h.say(NAME, f"FAIL: {h.json.dumps(h.first_difference(live, replayed, keys))[:2000]}; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed (lost 0, duplicated 0 of {result['expected']}; "
              f"{len(recoveries)} faults)")
        return 0
    finally:
        if adapter and adapter.alive():
            adapter.kill()
        cluster.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
