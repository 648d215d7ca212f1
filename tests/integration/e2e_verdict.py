"""The exactly-once verdict of the e2e tests: what a read_committed reader saw against what
`crp-adapter replay` printed for the same input, per topic and key (lost, duplicated,
misordered), with the headers that depend only on where and when a record was read left out."""
import json
from collections import Counter, defaultdict


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
