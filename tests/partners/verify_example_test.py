#!/usr/bin/env python3
"""docs/partners.md's Python verifier, as printed there, against requests signed by
crp-adapter's own code (tests/partners/signed_requests.cpp) during a key rotation.

  verify_example_test.py ADAPTER SIGNED_REQUESTS REPO WORK

The shipped config and sample through `crp-adapter replay` give the partner-outbox records;
one partner gets two signing keys (a rotation), every other shipped partner one. Asserts that
the example accepts every request with the new key alone and with the old key alone, refuses
a wrong key, a changed body, a changed webhook-id and a request signed 10 minutes ago, and
answers a second delivery of the same webhook-id as a duplicate.
The `standardwebhooks` package comes from PyPI, pinned (tests/partners/requirements.txt),
into a venv under WORK.
"""
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def secret(seed):
    return "whsec_" + base64.b64encode(seed.encode().ljust(32, b"!")[:32]).decode()


def main():
    adapter, signer, repo, work = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve(), Path(sys.argv[4]).resolve()
    work.mkdir(parents=True, exist_ok=True)
    requirements = repo / "tests/partners/requirements.txt"
    venv = work / "venv"
    stamp = venv / "requirements.txt"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([venv / "bin/pip", "install", "-q", "--disable-pip-version-check", "-r", requirements], check=True)
        stamp.write_text(requirements.read_text())

    # The example, exactly as docs/partners.md prints it.
    doc = (repo / "docs/partners.md").read_text()
    m = re.search(r"<!-- verifier:begin -->\n```python\n(.*?)```\n<!-- verifier:end -->", doc, re.S)
    if not m:
        sys.exit("docs/partners.md: no verifier example between the verifier:begin/end markers")
    (work / "verify_crp.py").write_text(m.group(1))

    # The shipped config, its partners in a directory of our own.
    config_dir = repo / "config"
    cfg = json.loads((config_dir / "crp-adapter.json").read_text())
    cfg["calendar"]["file"] = str(config_dir / cfg["calendar"]["file"])
    cfg["protocols"] = [str(config_dir / p) for p in cfg["protocols"]]
    cfg["directory"]["file"] = str(config_dir / cfg["directory"]["file"])
    cfg["agencies"]["file"] = str(config_dir / cfg["agencies"]["file"])
    for i in cfg["inputs"]:  # Debezium mappings
        if "mapping" in i:
            i["mapping"] = str(config_dir / i["mapping"])
    partners = work / "partners"
    partners.mkdir(exist_ok=True)
    shipped = {json.loads(p.read_text())["id"]: p for p in sorted((config_dir / "partners").glob("*.json"))}
    for path in shipped.values():
        (partners / path.name).write_text(path.read_text())
    cfg["webhooks"]["partners"] = str(partners)
    config = work / "config.json"
    config.write_text(json.dumps(cfg))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRP_PARTNER_SECRET_")}

    # replay signs nothing: it needs no key.
    replay = subprocess.run([adapter, "replay", "--config", config, "--input", config_dir / "samples/canonical-demo.jsonl",
                             "--until", "2027-06-30T00:00:00Z"], capture_output=True, text=True, env=env, timeout=300)
    if replay.returncode != 0:
        sys.exit(f"replay exited {replay.returncode}: {replay.stderr[-2000:]}")
    called = sorted({json.loads(l)["topic"].removeprefix("webhook:") for l in replay.stdout.splitlines()
                     if l.startswith('{"topic":"webhook:')})
    if len(called) < 2:
        sys.exit(f"the demo sample calls fewer than two partners: {called}")
    rotating = called[0]  # mid-rotation: two keys, newest first; every other partner one

    keys = {}
    for pid, path in shipped.items():
        p = json.loads(path.read_text())
        names = [f"PARTNERS_DOC_KEY_{pid.upper().replace('-', '_')}"]
        if pid == rotating:
            names.append(names[0] + "_OLD")
        p["secrets"] = [{"env": n} for n in names]
        keys[pid] = [secret(n) for n in names]
        env.update(dict(zip(names, keys[pid])))
        (partners / path.name).write_text(json.dumps(p))

    def requests(age=0):
        run = subprocess.run([signer, config, str(age)], input=replay.stdout, capture_output=True, text=True,
                             env=env, timeout=120)
        if run.returncode != 0:
            sys.exit(f"signed_requests exited {run.returncode}: {run.stderr[-2000:]}")
        return [json.loads(l) for l in run.stdout.splitlines()]

    fresh, stale = requests(), requests(600)
    by_partner = {}
    for r in fresh:
        by_partner.setdefault(r["partner"], []).append(r)
    check(sorted(by_partner) == called, f"signed requests to {sorted(by_partner)}, replay called {called}")

    # The example runs in the venv's interpreter; it gets the requests as JSON on stdin.
    driver = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from verify_crp import Verifier
from standardwebhooks.webhooks import WebhookVerificationError
cases = json.load(sys.stdin)
out = []
for c in cases:
    v = Verifier(c["secrets"])
    results = []
    for r in c["requests"]:
        try:
            event = v.verify(r["body"].encode(), r["headers"])
            results.append("duplicate" if event is None else "ok:" + event["id"])
        except WebhookVerificationError as e:
            results.append("refused:" + str(e))
    out.append(results)
json.dump(out, sys.stdout)
'''
    cases, expect = [], []
    for partner, reqs in by_partner.items():
        new, *old = keys[partner]
        for key_set in ([new], old[:1] if old else [new], [secret("unrelated")] + keys[partner]):
            cases.append({"secrets": key_set, "requests": reqs + reqs[:1]})
            expect.append([f"ok:{r['headers']['webhook-id']}" for r in reqs] + ["duplicate"])
        wrong = {"secrets": [secret("not-the-key")], "requests": reqs[:1]}
        cases.append(wrong), expect.append(["refused:No matching signature found"])
        first = reqs[0]
        tampered_body = dict(first, body=first["body"].replace('"data":{', '"data":{"x":1,', 1))
        tampered_id = dict(first, headers=dict(first["headers"], **{"webhook-id": first["headers"]["webhook-id"] + "x"}))
        cases.append({"secrets": keys[partner], "requests": [tampered_body, tampered_id]})
        expect.append(["refused:No matching signature found"] * 2)
    old_reqs = [r for r in stale if r["partner"] == rotating][:1]
    cases.append({"secrets": keys[rotating], "requests": old_reqs})
    expect.append(["refused:Message timestamp too old"])

    run = subprocess.run([venv / "bin/python", "-c", driver, str(work)], input=json.dumps(cases),
                         capture_output=True, text=True, timeout=120)
    if not check(run.returncode == 0, f"the example failed to run: {run.stderr[-2000:]}"):
        got = [[] for _ in cases]
    else:
        got = json.loads(run.stdout)
    for c, want, have in zip(cases, expect, got):
        check(want == have, f"keys {len(c['secrets'])}, {len(c['requests'])} requests: want {want}, got {have}")
    rotation = [r for r in fresh if r["partner"] == rotating]
    check(all(len(r["headers"]["webhook-signature"].split()) == 2 for r in rotation),
          "a partner with two keys did not get two signatures")

    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if failures:
        return 1
    print(f"ok: docs/partners.md verifier accepted {len(fresh)} signed requests to {len(by_partner)} partners "
          f"(rotation, duplicates, tampering and a stale timestamp checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
