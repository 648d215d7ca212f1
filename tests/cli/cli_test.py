#!/usr/bin/env python3
"""The command line's conventions, through the real binary (docs/cli.md).

  cli_test.py BINARY REPO

* every subcommand answers --help (and -h) with exit 0, its own usage and the exit codes;
* --version needs no --config, names the release and librdkafka's version, and the release
  is the one CMakeLists.txt and the chart's appVersion name;
* a usage error exits 2 and points at --help;
* replay: the summary on stderr agrees with what stdout printed (records in, records out per
  topic, dead letters by class); --strict exits 5 on a dead letter and 0 without one;
  `-` reads stdin; a directory is refused with exit 2;
* check-config --offline passes with no partner key and no Kafka credential present, while
  check-config without it refuses the same config (exit 3);
* replay --headers: every line carries the headers its record would (CloudEvents ce_* on
  escalations, webhook-* on a partner call), and without it only dead letters do;
* every shipped sample replays with --strict and exits 0, except the ones named in
  REFUSED_SAMPLES, whose dead letters are exactly the classes named there;
* check-config reports every problem of a config in one run (several partner keys, a
  protocol file, a Kafka secret), a role with no mailbox, an email kind with no template;
* every command of the README's "Try it" section exits 0 with no secret set.
"""
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def run(binary, *args, stdin=None, env=None, cwd=None):
    return subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=env if env is not None else clean_env(), cwd=cwd)


def clean_env():
    """The environment without any partner key or test secret, as on a newcomer's machine."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CRP_PARTNER_SECRET_")}


COMMANDS = {  # argv before --help -> the usage line's start
    ("run",): "usage: crp-adapter run --config FILE",
    ("replay",): "usage: crp-adapter replay --config FILE --input",
    ("check-config",): "usage: crp-adapter check-config --config FILE",
    ("report",): "usage: crp-adapter report",
    ("whatif",): "usage: crp-adapter whatif --config FILE --variant FILE --input",
    ("webhooks", "redeliver"): "usage: crp-adapter webhooks redeliver --config FILE --partner ID",
    ("webhooks",): "usage: crp-adapter webhooks redeliver",
    ("schema",): "usage: crp-adapter schema NAME",
}


def check_help(binary):
    for argv, usage in COMMANDS.items():
        for flag in ("--help", "-h"):
            r = run(binary, *argv, flag)
            name = " ".join(argv + (flag,))
            check(r.returncode == 0, f"`{name}` exited {r.returncode}: {r.stderr.strip()}")
            check(r.stdout.startswith(usage), f"`{name}` printed no usage of its own:\n{r.stdout}")
            check("exit codes:" in r.stdout and "  3  configuration error" in r.stdout,
                  f"`{name}` does not document the exit codes")
    # --help wins over missing required options and over other options.
    r = run(binary, "replay", "--input", "/nonexistent", "--help")
    check(r.returncode == 0 and "--strict" in r.stdout, f"replay --input X --help: {r.returncode} {r.stdout}")
    r = run(binary, "check-config", "--help")
    check("--offline" in r.stdout, "check-config --help does not list --offline")
    for top in ("--help", "-h", "help"):
        r = run(binary, top)
        check(r.returncode == 0 and "commands:" in r.stdout and "exit codes:" in r.stdout,
              f"`crp-adapter {top}` exited {r.returncode}")
    r = run(binary)
    check(r.returncode == 2 and "usage:" in r.stdout, f"no command: exit {r.returncode}, want 2")


def check_version(binary, repo):
    cmake = (repo / "CMakeLists.txt").read_text()
    project = re.search(r"project\(crp_adapter VERSION ([0-9.]+)", cmake).group(1)
    chart = re.search(r'^appVersion: "?([^"\n]+)"?$', (repo / "charts/crp-adapter/Chart.yaml").read_text(), re.M).group(1)
    check(project == chart, f"CMakeLists.txt says {project}, the chart's appVersion {chart}")
    for argv in (["--version"], ["version"], ["replay", "--version"], ["run", "--version"]):
        r = run(binary, *argv)
        m = re.fullmatch(r"crp-adapter (\S+) \(librdkafka (\d+\.\d+\.\d+\S*)\)\n", r.stdout)
        if check(r.returncode == 0 and m, f"`{' '.join(argv)}`: exit {r.returncode}, {r.stdout!r} {r.stderr!r}"):
            check(m.group(1) == project, f"--version says {m.group(1)}, CMakeLists.txt {project}")


def check_usage_errors(binary, repo):
    config = str(repo / "config/crp-adapter.json")
    cases = [
        ["replay", "--config", config, "--bogus"],
        ["replay", "--config", config],                           # no --input
        ["check-config"],                                         # no --config
        ["check-config", "--config", config, "--partner", "x"],   # another command's option
        ["nonsense"],
        ["webhooks", "resend"],
    ]
    for argv in cases:
        r = run(binary, *argv)
        check(r.returncode == 2, f"`{' '.join(argv)}` exited {r.returncode}, want 2 (usage): {r.stderr.strip()}")
        check("usage:" in r.stderr + r.stdout, f"`{' '.join(argv)}` printed no usage")


def summary_of(stderr):
    """The replay summary on stderr: totals, out per topic, dead letters by class."""
    m = re.search(r"^replay summary: (\d+) records in, (\d+) records out, (\d+) dead-lettered$", stderr, re.M)
    if not m:
        return None
    out = {t: int(n) for t, n in re.findall(r"^  out  (\S+): (\d+)$", stderr, re.M)}
    dead = {c: int(n) for c, n in re.findall(r"^  dead letters  (\S+): (\d+)$", stderr, re.M)}
    return tuple(map(int, m.groups())), out, dead


def check_replay(binary, repo, work):
    config = str(repo / "config/crp-adapter.json")
    demo = repo / "config/samples/canonical-demo.jsonl"
    until = ["--until", "2027-02-15T00:00:00Z"]
    # A file and stdin print the same bytes.
    by_file = run(binary, "replay", "--config", config, "--input", str(demo), *until)
    by_stdin = run(binary, "replay", "--config", config, "--input", "-", *until, stdin=demo.read_text())
    check(by_file.returncode == 0, f"replay of the demo sample exited {by_file.returncode}: {by_file.stderr}")
    check(by_file.stdout == by_stdin.stdout and by_file.stdout, "replay from stdin differs from replay of the file")
    # The demo's records without the one that exists to be refused: --strict exits 0.
    sample = "".join(l + "\n" for l in demo.read_text().splitlines()
                     if l.strip() and isinstance(json.loads(l).get("value"), dict))
    clean = run(binary, "replay", "--config", config, "--input", "-", "--strict", *until, stdin=sample)
    check(clean.returncode == 0, f"replay --strict without dead letters exited {clean.returncode}: {clean.stderr}")
    s = summary_of(clean.stderr)
    check(s is not None and s[0][2] == 0 and s[2] == {}, f"summary of a clean replay: {s}")
    # With records that are refused: the summary agrees with stdout, --strict exits 5.
    bad = [
        "this is not a record",
        json.dumps({"topic": "crp.commands", "key": "X", "value": "{not json"}),
        json.dumps({"topic": "crp.commands", "key": "X", "value": {"type": "challenge.raised", "event_id": "e"}}),
        json.dumps({"topic": "no.such.topic", "key": "X", "value": {}}),
    ]
    mixed = sample + "\n".join(bad) + "\n"
    lenient = run(binary, "replay", "--config", config, "--input", "-", *until, stdin=mixed)
    strict = run(binary, "replay", "--config", config, "--input", "-", "--strict", *until, stdin=mixed)
    check(lenient.returncode == 0, f"replay without --strict exited {lenient.returncode}")
    check(strict.returncode == 5, f"replay --strict with dead letters exited {strict.returncode}, want 5")
    check(strict.stdout == lenient.stdout, "--strict changed what replay prints")
    lines = [json.loads(l) for l in lenient.stdout.splitlines()]
    topics = collections.Counter(l["topic"] for l in lines)
    classes = collections.Counter(l["headers"]["__connect.errors.exception.class.name"]
                                  for l in lines if l["topic"] == "crp.dlq")
    s = summary_of(lenient.stderr)
    if check(s is not None, f"no replay summary on stderr:\n{lenient.stderr}"):
        (records_in, records_out, dead), out, dead_by_class = s
        records = sum(1 for l in mixed.splitlines() if l.strip())
        check(records_in == records, f"summary: {records_in} records in, the input has {records}")
        check(out == dict(topics), f"summary out per topic {out}, stdout has {dict(topics)}")
        kafka_out = sum(n for t, n in topics.items() if not t.startswith("webhook:"))
        check(records_out == kafka_out, f"summary: {records_out} records out, stdout has {kafka_out} Kafka records")
        check(dead == len(bad) == sum(classes.values()), f"summary: {dead} dead-lettered, want {len(bad)}: {classes}")
        check(out.get("crp.dlq") == dead, f"summary: {dead} dead letters, {out.get('crp.dlq')} on crp.dlq")
        check(dead_by_class == dict(classes), f"summary dead letters by class {dead_by_class}, stdout {dict(classes)}")
        check("crp.InvalidRecord" in dead_by_class and "crp.NotJson" in dead_by_class,
              f"dead letters by class lack the expected classes: {dead_by_class}")
    # A directory is refused, with the reason.
    r = run(binary, "replay", "--config", config, "--input", str(work))
    check(r.returncode == 2 and "is a directory" in r.stderr and not r.stdout,
          f"replay --input DIR: exit {r.returncode}, {r.stderr.strip()!r}")
    r = run(binary, "replay", "--config", config, "--input", str(work / "missing.jsonl"))
    check(r.returncode == 2 and "cannot open" in r.stderr, f"replay --input MISSING: exit {r.returncode}")
    # --calendar-change (docs/decisions/0060): a malformed option is a usage error, a broken
    # calendar file a configuration error naming file and pointer, a change after the
    # history is said, not silently dropped.
    r = run(binary, "replay", "--config", config, "--input", str(demo), "--calendar-change", "tomorrow")
    check(r.returncode == 2 and "INSTANT=FILE" in r.stderr and not r.stdout,
          f"replay --calendar-change tomorrow: exit {r.returncode}, {r.stderr.strip()!r}")
    broken = work / "broken-calendar.json"
    broken.write_text('{"scotland": {"division": "scotland", "events": []}}')
    r = run(binary, "replay", "--config", config, "--input", str(demo),
            "--calendar-change", f"2027-01-01T00:00:00Z={broken}")
    check(r.returncode == 3 and f"{broken}: /england-and-wales:" in r.stderr and not r.stdout,
          f"replay --calendar-change BROKEN: exit {r.returncode}, {r.stderr.strip()!r}")
    calendar = repo / "config/calendars/bank-holidays.json"
    r = run(binary, "replay", "--config", config, "--input", str(demo), *until,
            "--calendar-change", f"2030-01-01T00:00:00Z={calendar}")
    check(r.returncode == 0 and "1 calendar change(s) after the end of the replayed history" in r.stderr
          and r.stdout == by_file.stdout, f"replay --calendar-change after the end: exit {r.returncode}")


def check_headers(binary, repo):
    config = str(repo / "config/crp-adapter.json")
    demo = str(repo / "config/samples/canonical-demo.jsonl")
    until = ["--until", "2027-02-15T00:00:00Z"]
    plain = run(binary, "replay", "--config", config, "--input", demo, *until)
    shown = run(binary, "replay", "--config", config, "--input", demo, "--headers", *until)
    check(shown.returncode == 0, f"replay --headers exited {shown.returncode}: {shown.stderr}")
    plain_lines = [json.loads(l) for l in plain.stdout.splitlines()]
    lines = [json.loads(l) for l in shown.stdout.splitlines()]
    check(len(lines) == len(plain_lines) and len(lines) > 0,
          f"--headers printed {len(lines)} records, without it {len(plain_lines)}")
    # The same records otherwise: --headers only adds.
    check([{k: v for k, v in l.items() if k != "headers"} for l in lines]
          == [{k: v for k, v in l.items() if k != "headers"} for l in plain_lines],
          "--headers changed what replay prints besides the headers")
    check(all("headers" not in l for l in plain_lines if l["topic"] != "crp.dlq"),
          "replay without --headers printed a non-dead-letter record's headers")
    check(all(isinstance(l.get("headers"), dict) for l in lines), "a record printed without headers under --headers")
    escalations = [l for l in lines if l["topic"] == "crp.escalations"]
    check(len(escalations) > 0, "the demo produced no escalation")
    for l in escalations:
        h = l["headers"]
        ok = (h.get("ce_specversion") == "1.0" and h.get("ce_type", "").startswith("uk.gov.crp.")
              and h.get("ce_subject") == l["key"] and h.get("ce_id") and h.get("ce_source"))
        if not check(ok, f"an escalation's headers are not CloudEvents binary mode: {h}"):
            break
    calls = [l for l in lines if l["topic"].startswith("webhook:")]
    check(len(calls) > 0, "the demo produced no webhook call")
    for l in calls:
        h = l["headers"]
        ok = (h.get("content-type") == "application/json" and h.get("webhook-id", "").startswith("msg_")
              and h.get("webhook-timestamp", "").isdigit() and h.get("webhook-signature", "").startswith("v1,"))
        if not check(ok, f"a webhook call's headers are not a Standard Webhooks request's: {h}"):
            break
    # No child's name or free text in any header: the demo's summary text never appears.
    texts = [json.loads(l).get("value", {}) for l in Path(demo).read_text().splitlines() if l.strip()]
    summaries = [t.get("summary") for t in texts if isinstance(t, dict) and t.get("summary")]
    headers_text = json.dumps([l["headers"] for l in lines if l["topic"] != "crp.dlq"])
    check(not any(s in headers_text for s in summaries), "a free-text summary appears in a header")


# Samples that exist to be refused, with the dead-letter classes each must produce (and no
# other). Every other file in config/samples/ must replay with no dead letter at all.
REFUSED_SAMPLES = {
    "canonical-demo.jsonl": {"crp.NotJson": 1},  # its last line shows a refused record
}


def check_samples(binary, repo):
    config = str(repo / "config/crp-adapter.json")
    samples = sorted((repo / "config/samples").glob("*.jsonl"))
    check(len(samples) >= 6, f"only {len(samples)} shipped samples found")
    check(set(REFUSED_SAMPLES) <= {p.name for p in samples}, f"REFUSED_SAMPLES names a missing sample")
    for sample in samples:
        r = run(binary, "replay", "--strict", "--config", config, "--input", str(sample),
                "--until", "2028-01-01T00:00:00Z")
        s = summary_of(r.stderr)
        if not check(s is not None, f"{sample.name}: no replay summary: {r.stderr.strip()[-300:]}"):
            continue
        (records_in, records_out, dead), out, dead_by_class = s
        want = REFUSED_SAMPLES.get(sample.name, {})
        check(r.returncode == (5 if want else 0),
              f"{sample.name}: replay --strict exited {r.returncode}, want {5 if want else 0}: {dead_by_class}")
        check(dead_by_class == want, f"{sample.name}: dead letters {dead_by_class}, want {want}")
        check(out.get("crp.escalations", 0) > 0, f"{sample.name}: no escalation produced: {out}")


def check_config_problems(binary, repo, work):
    """check-config reports every problem of a configuration in one run."""
    shipped = repo / "config/crp-adapter.json"
    r = run(binary, "check-config", "--config", str(shipped))
    partners = sorted((repo / "config/partners").glob("*.json"))
    named = [p for p in partners if p.name in r.stderr]
    check(r.returncode == 3 and len(named) == len(partners) and len(partners) >= 2,
          f"check-config without partner keys named {len(named)} of {len(partners)} partner files in one run "
          f"(exit {r.returncode}):\n{r.stderr}")
    # A config with problems of three independent kinds, all reported at once.
    cfg = absolute_config(shipped)
    base = shipped.parent
    cfg["protocols"].append(str(work / "missing-protocol.json"))
    cfg["kafka"]["sasl.password"] = {"env": "CRP_CLI_TEST_UNSET_PASSWORD"}
    path = work / "broken.json"
    path.write_text(json.dumps(cfg))
    r = run(binary, "check-config", "--config", str(path))
    errors = [l for l in r.stderr.splitlines() if l.startswith("crp-adapter: configuration error:")]
    check(r.returncode == 3, f"check-config of a broken config exited {r.returncode}, want 3")
    check("missing-protocol.json" in r.stderr, "the missing protocol file was not reported")
    check("CRP_CLI_TEST_UNSET_PASSWORD" in r.stderr, "the unset Kafka secret was not reported")
    check(len(errors) == len(partners) + 2, f"{len(errors)} problems reported, want {len(partners) + 2}:\n{r.stderr}")
    check(f"check-config: {len(partners) + 2} problems" in r.stderr, f"no problem count:\n{r.stderr}")
    # --offline: the same config, only the protocol file is a problem.
    r = run(binary, "check-config", "--offline", "--config", str(path))
    errors = [l for l in r.stderr.splitlines() if l.startswith("crp-adapter: configuration error:")]
    check(r.returncode == 3 and len(errors) == 1 and "missing-protocol.json" in errors[0],
          f"check-config --offline: {r.returncode}:\n{r.stderr}")
    # Semantic problems, both reported: a role with no mailbox, email kinds with no template.
    cfg["protocols"] = cfg["protocols"][:-1]
    cfg["kafka"].pop("sasl.password")
    directory = json.loads((base / "directory/example-authority.json").read_text())
    directory["default"].pop("principal_iro")  # walsall's role only
    # A partner agency the directory lists without one of Calderdale's agency roles.
    directory["agencies"]["health"]["roles"].pop("agency_designated_manager")
    (work / "directory.json").write_text(json.dumps(directory))
    cfg["directory"]["file"] = str(work / "directory.json")
    cfg["email"]["templates"].pop("decision_overdue")
    cfg["email"]["templates"]["walsall.decision_overdue"] = "6f1c2a52-0c3e-4d2b-9a8e-0b1c2d3e4f99"
    path.write_text(json.dumps(cfg))
    r = run(binary, "check-config", "--offline", "--config", str(path))
    errors = [l for l in r.stderr.splitlines() if l.startswith("crp-adapter: configuration error:")]
    check(r.returncode == 3, f"check-config accepted a role with no mailbox and a missing template: {r.stderr}")
    role_errors = [e for e in errors if "'principal_iro'" in e]
    check(len(role_errors) == 1 and "protocol walsall" in role_errors[0],
          f"the role with no mailbox was not reported once for walsall:\n{r.stderr}")
    agency_errors = [e for e in errors if "partner agency 'health'" in e]
    check(len(agency_errors) == 1 and "protocol calderdale" in agency_errors[0]
          and "'agency_designated_manager'" in agency_errors[0],
          f"the health agency's missing role was not reported once for calderdale:\n{r.stderr}")
    check("no entry for partner agency 'probation'" in r.stderr,
          f"no warning for a partner agency the directory does not list:\n{r.stderr}")
    kind_errors = [e for e in errors if "'decision_overdue'" in e]
    protocols = {re.search(r"protocol (\S+) can send", e).group(1) for e in kind_errors}
    check(protocols == {"bradford", "rotherham", "calderdale", "iro-cp-lac"},
          f"decision_overdue without a template: reported for {protocols}, want every protocol but walsall:\n{r.stderr}")
    check(len(errors) == 1 + 1 + 4, f"{len(errors)} problems reported, want 6:\n{r.stderr}")
    # The calendar warning still comes with check-config (the published data ends in 2028).
    r = run(binary, "check-config", "--offline", "--config", str(shipped))
    check(r.returncode == 0, f"check-config --offline of the shipped config: {r.returncode}: {r.stderr}")


def absolute_config(shipped):
    """The shipped config with every file it names made absolute, to be written elsewhere."""
    cfg = json.loads(shipped.read_text())
    base = shipped.parent
    cfg["calendar"]["file"] = str(base / cfg["calendar"]["file"])
    cfg["protocols"] = [str(base / p) for p in cfg["protocols"]]
    for section, key in (("directory", "file"), ("webhooks", "partners"), ("agencies", "file")):
        if key in cfg.get(section, {}):
            cfg[section][key] = str(base / cfg[section][key])
    for i in cfg["inputs"]:
        if "mapping" in i:
            i["mapping"] = str(base / i["mapping"])
    return cfg


def check_offline(binary, repo, work):
    shipped = repo / "config/crp-adapter.json"
    r = run(binary, "check-config", "--config", str(shipped))
    check(r.returncode == 3 and "secret" in r.stderr.lower(),
          f"check-config without partner keys: exit {r.returncode}, want 3 naming the secret: {r.stderr.strip()}")
    r = run(binary, "check-config", "--offline", "--config", str(shipped))
    check(r.returncode == 0 and r.stdout.startswith("ok: 5 protocols"),
          f"check-config --offline of the shipped config: exit {r.returncode}: {r.stderr.strip()}")
    # Kafka credentials by file and by environment variable, neither present.
    cfg = absolute_config(shipped)
    base = shipped.parent
    cfg["kafka"].update({"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                         "sasl.username": "crp-adapter",
                         "sasl.password": {"env": "CRP_CLI_TEST_UNSET_PASSWORD"},
                         "ssl.key.password": {"file": str(work / "no-such-secret")}})
    path = work / "secured.json"
    path.write_text(json.dumps(cfg))
    r = run(binary, "check-config", "--offline", "--config", str(path))
    check(r.returncode == 0, f"check-config --offline read a Kafka secret: exit {r.returncode}: {r.stderr.strip()}")
    r = run(binary, "check-config", "--config", str(path))
    check(r.returncode == 3, f"check-config (online) of a config whose secrets are missing: exit {r.returncode}, want 3")
    # --offline still checks everything else.
    cfg["protocols"].append(str(base / "protocols/no-such-protocol.json"))
    path.write_text(json.dumps(cfg))
    r = run(binary, "check-config", "--offline", "--config", str(path))
    check(r.returncode == 3 and "no-such-protocol" in r.stderr,
          f"check-config --offline accepted a missing protocol file: exit {r.returncode}")


def check_readme_try_it(binary, repo):
    """Every command of the README's "Try it" section runs on a fresh clone and exits 0."""
    readme = (repo / "README.md").read_text()
    section = re.search(r"^## Try it[^\n]*\n(.*?)(?=^## )", readme, re.M | re.S)
    if not check(section, "README.md has no \"## Try it\" section"):
        return
    blocks = re.findall(r"```sh\n(.*?)```", section.group(1), re.S)
    commands = [c.strip() for b in blocks for c in b.replace("\\\n", " ").splitlines() if c.strip()]
    check(len(commands) >= 3, f"README's Try it shows {len(commands)} commands")
    for command in commands:
        argv = shlex.split(command.split("#")[0])
        if not check(argv[0] == "build/crp-adapter", f"README's Try it runs {argv[0]}, not build/crp-adapter"):
            continue
        r = run(str(Path(binary).resolve()), *argv[1:], cwd=repo)
        check(r.returncode == 0, f"README: `{command}` exited {r.returncode}: {r.stderr.strip()[-500:]}")


def main():
    binary, repo = sys.argv[1], Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        check_help(binary)
        check_version(binary, repo)
        check_usage_errors(binary, repo)
        check_replay(binary, repo, work)
        check_offline(binary, repo, work)
        check_headers(binary, repo)
        check_samples(binary, repo)
        check_config_problems(binary, repo, work)
        check_readme_try_it(binary, repo)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if failures:
        return 1
    print("ok: --help on every command, --version, usage errors, replay summary/--strict/stdin/directory, "
          "check-config --offline, replay --headers, every shipped sample, check-config's problems in one run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
