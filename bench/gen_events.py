#!/usr/bin/env python3
"""Writes N canonical event records (JSONL, replay/Kafka input) for load tests:
challenges across all five protocols, with responses, rejections, duties,
withdrawals, and deadlines left to pass. Deterministic for a given seed.
  bench/gen_events.py N [--seed S] > events.jsonl
Prints the last occurred_at to stderr (pass it, plus a margin, as --until)."""
import argparse
import datetime as dt
import json
import random

PROTOCOLS = {
    "bradford": "stage1", "rotherham": "stage1", "walsall": "stage1",
    "calderdale": "informal", "iro-cp-lac": "level1",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default="G")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc)
    open_ids, written, serial = [], 0, 0
    while written < a.n:
        t += dt.timedelta(seconds=rng.randint(5, 90))
        if not open_ids or rng.random() < 0.35:
            serial += 1
            cid = f"{a.prefix}-{serial:07d}"
            proto = rng.choice(list(PROTOCOLS))
            ev = {"type": "challenge.raised", "stage": PROTOCOLS[proto],
                  "agency": rng.choice(["health", "police", "education", "childrens_social_care"]),
                  "categories": [rng.choice(["core_groups", "visits", "plan_drift", "reports"])]}
            if proto == "iro-cp-lac":
                ev["track"] = rng.choice(["cp", "lac"])
            open_ids.append([cid, proto, 0])
        else:
            k = rng.randrange(len(open_ids))
            cid, proto, step = open_ids[k]
            r = rng.random()
            if proto == "rotherham" and step == 0 and r < 0.3:
                ev = {"type": "duty.completed", "duty": "stage1_form"}
            elif proto in ("rotherham", "walsall", "calderdale") and r < 0.55:
                ev = {"type": "challenge.response_rejected"}
            elif r < 0.75:
                ev = {"type": "challenge.withdrawn"}
                open_ids.pop(k)
            else:
                ev = {"type": "challenge.escalated"}
            open_ids[k:k + 1] = [[cid, proto, step + 1]] if ev["type"] != "challenge.withdrawn" else []
            if step >= 3:
                ev = {"type": "challenge.resolved"}
                open_ids = [o for o in open_ids if o[0] != cid]
        written += 1
        ev.update({"event_id": f"{cid}-{written}", "occurred_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "challenge_id": cid, "case_id": "CASE-" + cid, "protocol": proto})
        print(json.dumps({"topic": "crp.commands", "key": cid, "value": ev}, separators=(",", ":")))
    print(t.strftime("%Y-%m-%dT%H:%M:%SZ"), file=__import__("sys").stderr)


if __name__ == "__main__":
    main()
