#!/usr/bin/env python3
"""A rolling upgrade of the adapter itself, on a real broker (event clock).

Two instances of the PREVIOUS release (--previous BINARY) share the input
partitions in one consumer group while input is produced at a steady rate.
Then, one instance at a time, as a rolling update of a Deployment would: the
old process gets SIGTERM (it commits its open transaction and leaves the
group) and must exit 0, and the NEW binary (--adapter) starts under the same
instance name (so the same transactional.id) and must own partitions again
before the next instance is replaced. The time from each SIGTERM to the
group's next committed transaction is printed ("recovery").
Afterwards a read_committed consumer must see exactly what the new binary's
`replay` prints for the same input: 0 lost, 0 duplicated, same order per
challenge; no process exited other than on the test's SIGTERM.

  tests/integration/e2e_run.sh tests/integration/e2e_adapter_upgrade.py \\
      --adapter build/crp-adapter --previous /tmp/prev/build/crp-adapter
(the previous release: `git worktree add /tmp/prev <tag>` and build it there).
"""
import hashlib
import sys
import tempfile
import threading
import time
from pathlib import Path

import e2e_crash_recovery as crash
import e2e_harness as h

NAME = "e2e_adapter_upgrade"
PARTITIONS = 3


def logged(adapter, message, since=0):
    return any(l.get("message") == message for l in adapter.log_lines()[since:])


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def main():
    p = h.arguments(__doc__, 19892)
    p.add_argument("--previous", required=True, help="crp-adapter binary of the previous release")
    p.add_argument("--events", type=int, default=12000)
    p.add_argument("--feed-seconds", type=float, default=60)
    p.add_argument("--seed", type=int, default=918)
    args = p.parse_args()
    records = crash.workload(args.events, args.seed)
    last = max(h.occurred_at(r) for r in records)
    final, until = h.iso(last + 86400), h.iso(last + 86400 - 1)
    clock = h.clock_records(PARTITIONS, final)
    keys = {r["key"] for r in records}
    old_id, new_id = digest(args.previous), digest(args.adapter)
    h.say(NAME, f"{len(records)} events over {args.feed_seconds:.0f} s; previous {args.previous} ({old_id}) "
                f"-> new {args.adapter} ({new_id})")

    work = Path(tempfile.mkdtemp(prefix="crp-e2e-upgrade-"))
    broker = h.Broker(args.port).start()
    adapters = []
    check = h.Checks(NAME)
    try:
        check(old_id != new_id, f"the two binaries differ ({old_id} vs {new_id})")
        broker.create_topics(PARTITIONS)
        config = h.write_config(work / "service.json", broker.bootstrap,
                                {"clock": "event", "commit_interval_ms": 100, "max_batch": 1000})
        old = {name: h.Adapter(args.previous, config, work / f"{name}-previous.log", instance=name).start()
               for name in ("one", "two")}
        adapters += old.values()
        for name, a in old.items():
            h.eventually(lambda: logged(a, "state restored"), bool, 120, adapter=a, name=NAME)
            check(logged(a, "state restored"), f"previous-release instance {name} owns partitions")
        feed_errors = []

        def feeding():
            try:
                crash.feed(broker.bootstrap, records, args.feed_seconds)
            except BaseException as e:  # reported by the main thread
                feed_errors.append(repr(e))
        feeder = threading.Thread(target=feeding, daemon=True)
        feeder.start()

        def committed_total():
            try:
                return sum(max(0, o) for o in h.committed_offsets(broker.bootstrap, h.INPUT,
                                                                  range(PARTITIONS)).values())
            except Exception:
                return -1

        base = committed_total()
        moved = h.eventually(committed_total, lambda v: v > base, 60, name=NAME)
        check(moved > base, "the previous release commits input before the upgrade")
        time.sleep(args.feed_seconds / 6)
        recoveries = []
        for name in ("one", "two"):
            check(feeder.is_alive(), f"{name}: input still flowing when it is replaced")
            t_term = time.time()
            old[name].proc.send_signal(h.signal.SIGTERM)
            rc = old[name].proc.wait(60)
            t_exit = time.time()
            base = committed_total()
            check(rc == 0, f"{name}: the previous release stopped cleanly on SIGTERM (exit {rc}, "
                           f"{t_exit - t_term:.1f} s)")
            new = h.Adapter(args.adapter, config, work / f"{name}-new.log", instance=name).start()
            adapters.append(new)
            got = h.eventually(committed_total, lambda v: v > base, 120, name=NAME)
            since = time.time() - t_term
            check(got > base, f"{name}: the group committed input again {since:.1f} s after the SIGTERM")
            h.eventually(lambda: logged(new, "state restored"), bool, 120, adapter=new, name=NAME)
            check(logged(new, "state restored"), f"{name}: the new binary under the same instance name owns "
                                                 f"partitions ({time.time() - t_term:.1f} s after the SIGTERM)")
            recoveries.append({"instance": name, "stop_s": round(t_exit - t_term, 1), "recovered_s": round(since, 1),
                               "owns_partitions_s": round(time.time() - t_term, 1)})
            h.say(NAME, f"recovery {name}: {recoveries[-1]}")
        feeder.join()
        check(not feed_errors, f"the input was produced without error {feed_errors[:2]}")
        h.produce(broker.bootstrap, clock)
        news = adapters[2:]
        h.wait_consumed(broker.bootstrap, None, 300, NAME)
        check(all(a.alive() for a in news), "both new instances are still running")
        live = [h.normalise_live(r) for r in h.read_committed(broker.bootstrap, h.OUTPUTS)]
        replayed = [h.normalise_replay(l) for l in h.run_replay(args.adapter, config, records + clock, until, work)]
        result = h.compare(live, replayed, keys)
        h.say(NAME, h.counts(result))
        check(h.exactly_once(result), "exactly once: 0 lost, 0 duplicated, same order per challenge")
        rcs = [a.stop() for a in news]
        check(rcs == [0, 0], f"the new instances stopped cleanly on SIGTERM (exit {rcs})")
        errors = [e for a in adapters for e in h.log_errors(a)]
        check(not errors, f"no error log lines ({[(e.get('message'), e.get('detail')) for e in errors[:2]]})")
        h.say(NAME, "recoveries " + h.json.dumps(recoveries))
        if check.failures:
            h.say(NAME, f"FAIL: {h.json.dumps(h.first_difference(live, replayed, keys))[:2000]}; work dir {work}")
            return 1
        print(f"{NAME}: 1 passed, 0 failed (lost 0, duplicated 0 of {result['expected']})")
        return 0
    finally:
        for a in adapters:
            if a.alive():
                a.kill()
        broker.stop(keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
