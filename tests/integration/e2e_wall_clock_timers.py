#!/usr/bin/env python3
"""Wall-clock timers on a real broker (runtime.clock = "wall", the default):
  1. a challenge raised 60 days ago escalates through every overdue stage by
     the service's timer alone, with no further input;
  2. a challenge raised now waits; the service stops (SIGTERM) and starts
     again with its wall clock 60 days ahead (test-only
     CRP_TEST_CLOCK_OFFSET_SECONDS): the restored timers, already due, fire
     at once, still without input, and nothing fires twice.
The escalations must equal what `replay --until` prints for the same event.
"""
import json
import sys
import time

import e2e_harness as h

NAME = "e2e_wall_clock_timers"
DAY = 86400
AHEAD = 60 * DAY


def raised(cid, at):
    return {"topic": h.INPUT, "key": cid, "headers": {},
            "value": {"type": "challenge.raised", "event_id": f"{cid}-1", "occurred_at": h.iso(at),
                      "challenge_id": cid, "case_id": f"CASE-{cid}", "protocol": "calderdale",
                      "agency": "Primary School"}}


def escalations(bootstrap, key):
    return [json.loads(r["value"]) for r in h.read_committed(bootstrap, ["crp.escalations"]) if r["key"] == key]


def wait_escalations(bootstrap, key, want, adapter, timeout=60):
    """`key`'s committed escalations once they equal `want` (timers may fire
    over several transactions), or as they are after `timeout` s."""
    return h.eventually(lambda: escalations(bootstrap, key), lambda got: got == want, timeout, adapter,
                        every=0.5, name=NAME)


def replayed(binary, config, record, until, work):
    return [l["value"] for l in h.run_replay(binary, config, [record], until, work)
            if l["topic"] == "crp.escalations"]


def main():
    args = h.arguments(__doc__).parse_args()
    with h.E2E(NAME, args) as t:
        check, bootstrap = t.check, t.bootstrap
        config = t.config({"commit_interval_ms": 100})
        now = int(time.time())
        old, new = raised("WALL-OLD", now - AHEAD), raised("WALL-NEW", now)

        adapter = t.adapter(config, instance="wall")
        h.produce(bootstrap, [old, new])
        want = replayed(args.adapter, config, old, h.iso(now), t.work)
        got = wait_escalations(bootstrap, "WALL-OLD", want, adapter)
        check(got == want and len(want) > 3 and "process.overdue" in [v["type"] for v in got],
              f"overdue challenge escalated by the timer alone: {len(got)} escalations, replay {len(want)}")
        h.wait_consumed(bootstrap, adapter, 60, NAME)  # both records' outputs committed
        fresh = escalations(bootstrap, "WALL-NEW")
        check([v["type"] for v in fresh] == ["challenge.stage_started"], "a fresh challenge waits for its deadline")
        check(adapter.stop() == 0, "clean stop")

        later = t.adapter(config, "adapter2.log", instance="wall", env={"CRP_TEST_CLOCK_OFFSET_SECONDS": str(AHEAD)})
        want = replayed(args.adapter, config, new, h.iso(now + AHEAD), t.work)
        got = wait_escalations(bootstrap, "WALL-NEW", want, later)
        check(got == want and len(want) > 3 and "process.overdue" in [v["type"] for v in got],
              f"restored timers already due fired at once: {len(got)} escalations, replay {len(want)}")
        again = escalations(bootstrap, "WALL-OLD")
        check(again == replayed(args.adapter, config, old, h.iso(now), t.work), "nothing fired twice after restore")
        check(later.stop() == 0, "clean stop")
        stopped = [l for l in later.log_lines() if l.get("message") == "stopped"]
        check(stopped and stopped[0]["consumed"] == 0 and stopped[0]["timers_fired"] >= 1,
              f"second run consumed no input and fired timers ({stopped[:1]})")
        check(not h.log_errors(later), "no error log lines")
    return t.status


if __name__ == "__main__":
    sys.exit(main())
