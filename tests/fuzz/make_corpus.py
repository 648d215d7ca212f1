#!/usr/bin/env python3
"""Regenerates the seed corpora under tests/fuzz/corpus/<target>/ from the
repository's samples, scenarios and config (run from anywhere; review the diff).
Each seed is named by the SHA-1 of its bytes, as libFuzzer names its own."""
import glob, hashlib, json, os, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def values(pattern, limit=None):
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            v = json.loads(line).get("value")
            out.append(v if isinstance(v, str) else "" if v is None else json.dumps(v, separators=(",", ":")))
    return out[:limit] if limit else out


for v in values("config/samples/debezium-*.jsonl") + values("tests/connectors/debezium/*.in.jsonl"):
    put("fuzz_debezium_source", v)
canonical = values("config/samples/canonical-demo.jsonl", 20) + values("tests/scenarios/*/*.in.jsonl", 40)
for v in canonical:
    put("fuzz_canonical_source", v)
for name in ("lcs", "mosaic"):
    for v in values("config/samples/%s-*.jsonl" % name):
        put("fuzz_%s_source" % name, v)

event = canonical[0]
ev = json.loads(event)
put("fuzz_cloudevents", event)
put("fuzz_cloudevents", "ce_specversion:1.0\nce_id:lcs-42\nce_source:urn:lcs\nce_type:uk.gov.crp.%s\n"
    "ce_time:2027-01-11T10:00:00Z\ncontent-type:application/json\n\n%s" % (ev["type"], event))
put("fuzz_cloudevents", "ce_specversion:0.3\nce_id:x\n\n" + event)
put("fuzz_cloudevents", "content-type:application/cloudevents+json; charset=UTF-8\n\n" + json.dumps(
    {"specversion": "1.0", "id": "m-7", "source": "urn:mosaic", "type": ev["type"],
     "datacontenttype": "application/json", "data": ev}, separators=(",", ":")))
put("fuzz_cloudevents", "content-type:application/cloudevents-batch+json\n\n[" + event + "]")

for path in sorted(glob.glob(os.path.join(ROOT, "config/protocols/*.json"))):
    put("fuzz_protocol_loader", open(path, "rb").read())
put("fuzz_service_config", open(os.path.join(ROOT, "config/crp-adapter.json"), "rb").read())
for path in sorted(glob.glob(os.path.join(ROOT, "config/connectors/*.json"))):
    put("fuzz_debezium_mapping", open(path, "rb").read())
for path in sorted(glob.glob(os.path.join(ROOT, "config/partners/*.json"))):
    put("fuzz_partner_loader", open(path, "rb").read())
# json::parse's rules (fuzz_json_limits.cpp): the first byte picks the mode.
for seed in (b'\x00{"a":[1,2,{"b":"c"}],"d":null}', b"\x00" + b"[" * 70 + b"]" * 70,
             b'\x00{"a":1,"a":2}', b'\x00["\\u0000"]', b'\x00["\\udc00"]', b'\x00["\xc3\x28"]',
             b'\x01\x08{"a":[1]}', b"\x01\x00[]", b"\x02caf\xc3\xa9", b"\x02\xed\xa0\x80",
             b"\x02\xc0\xaf", b"\x03key", b"\x03\xff",
             # What it found: a NUL ending the text early, infinity, imprecise doubles,
             # a lone byte of a byte order mark skipped.
             b'\x01\x08333\x00{"a"}', b"\x00 3e308", b"\x00 0e308", b"\x00-" + b"9" * 32,
             b"\x01\x02\xbb0"):
    put("fuzz_json_limits", seed)

print("corpora written under", OUT, file=sys.stderr)
