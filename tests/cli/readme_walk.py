#!/usr/bin/env python3
"""A newcomer walks README.md with a local Kafka (tests/integration/e2e_harness.py's broker).

Every command in every ```sh block of the README runs and exits 0, in the README's order:
`build/crp-adapter run` (started once, awaited ready, stopped with SIGTERM: exit 0), the
`curl` calls on its admin server, `webhooks redeliver` and `report` against the broker, and
the "Try it" commands. The README's config points at the demo's broker and admin port; here
the same config, with absolute paths, points at the test's broker and a free admin port, and
partner signing keys are set as the README says (CRP_PARTNER_SECRET_<ID>, whsec_ form).

Not run here, each for the reason in NOT_RUN: the test command itself, the live demo (it
builds build/ and takes the demo's fixed ports), and `helm install` (needs a cluster;
scripts/chart-check renders and validates the chart). A README command this test does not
know fails it, so a new command cannot go unwalked.
"""
import base64
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import e2e_harness as h  # noqa: E402

NAME = "readme_walk"
NOT_RUN = {
    "scripts/test": "the test command itself",
    "scripts/demo": "the live demo: builds build/ and binds the demo's fixed ports 19092 and 19443",
    "helm install": "needs a Kubernetes cluster; scripts/chart-check lints, renders and validates the chart",
}


def readme_commands(repo):
    text = (repo / "README.md").read_text()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split(" #")[0].strip()
            if command:
                out.extend(c.strip() for c in command.split(";") if c.strip())
    return out


def test_config(repo, work, bootstrap):
    shipped = repo / "config/crp-adapter.json"
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
    cfg["kafka"] = {**cfg["kafka"], "bootstrap.servers": bootstrap}
    cfg["admin"] = {**cfg["admin"], "bind": "127.0.0.1:0", "token_file": str(work / "token")}
    cfg["runtime"] = {**cfg.get("runtime", {}), "create_topics": True}
    path = work / "crp-adapter.json"
    path.write_text(json.dumps(cfg, indent=2))
    return path


def partner_secrets(repo):
    env = {}
    for f in sorted((repo / "config/partners").glob("*.json")):
        for secret in json.loads(f.read_text()).get("secrets", []):
            if "env" in secret:
                env[secret["env"]] = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    return env


def main():
    args = h.arguments(__doc__, 19892).parse_args()
    repo = h.REPO
    binary = str(Path(args.adapter).resolve())
    check = h.Checks(NAME)
    work = Path(tempfile.mkdtemp(prefix="crp-readme-"))
    (work / "token").write_text("readme-walk-token\n")
    broker = h.Broker(args.port).start()
    adapter, port = None, None
    env = dict(os.environ, **partner_secrets(repo))
    try:
        config = test_config(repo, work, broker.bootstrap)
        commands = readme_commands(repo)
        check(len(commands) >= 10, f"README shows {len(commands)} commands (at least 10)")
        for command in commands:
            skip = next((reason for prefix, reason in NOT_RUN.items() if command.startswith(prefix)), None)
            if skip:
                h.say(NAME, f"not run: `{command}`: {skip}")
                continue
            line = command.replace("config/crp-adapter.json", str(config))
            if command.startswith("build/crp-adapter run"):
                if adapter is None:
                    argv = shlex.split(line)
                    argv[0] = binary
                    adapter = h.Adapter(binary, str(config), work / "adapter.log", env=env)
                    adapter.cmd = argv
                    adapter.start()
                    port = h.admin_port(adapter, name=NAME)
                    ready = h.eventually(lambda: status(port, "/readyz"), lambda s: s == 200, 120,
                                         adapter=adapter, name=NAME)
                    check(ready == 200, f"`{command}`: /readyz answers 200 (got {ready})")
                continue
            if command.startswith("curl"):
                check(port is not None, f"`{command}` comes after `build/crp-adapter run`")
                if port is None:
                    continue
                line = line.replace("localhost:8080", f"127.0.0.1:{port}")
                r = subprocess.run(["bash", "-c", line], cwd=work, capture_output=True, text=True, timeout=60)
                check(r.returncode == 0 and r.stdout, f"`{command}` exits 0 with an answer (exit {r.returncode})")
                if "/v1/challenges" in command:
                    check(r.stdout.lstrip().startswith(("{", "[")), f"`{command}` answers JSON: {r.stdout[:200]}")
                if "/metrics" in command:
                    check("crp_calendar_published_days_left{" in r.stdout,
                          "/metrics exports crp_calendar_published_days_left")
                continue
            if not command.startswith("build/crp-adapter"):
                check(False, f"README command `{command}` is known to this test")
                continue
            argv = shlex.split(line)
            argv[0] = binary
            # Relative paths in the README are the repository's; output directories go to work/.
            cwd = work if "--out" in argv else repo
            for i, a in enumerate(argv):
                if cwd == work and (repo / a).exists() and not Path(a).is_absolute():
                    argv[i] = str(repo / a)
            r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
            check(r.returncode == 0, f"`{command}` exits 0" + (f" (exit {r.returncode}: {r.stderr.strip()[-300:]})"
                                                                if r.returncode else ""))
        # Every subcommand's --help exits 0 (cli_test.py checks what they print).
        for sub in (["run"], ["replay"], ["check-config"], ["report"], ["whatif"], ["webhooks", "redeliver"], ["schema"]):
            r = subprocess.run([binary, *sub, "--help"], capture_output=True, text=True, timeout=30)
            check(r.returncode == 0, f"`crp-adapter {' '.join(sub)} --help` exits 0")
        if adapter is not None:
            code = adapter.stop(timeout=60)
            check(code == 0, f"SIGTERM: `crp-adapter run` exits 0 (got {code})")
            adapter = None
    finally:
        if adapter is not None and adapter.alive():
            adapter.kill()
        broker.stop(keep=args.keep)
    if check.failures:
        log = work / "adapter.log"
        if log.exists():
            sys.stderr.write(log.read_text()[-3000:])
        return 1
    h.say(NAME, "passed")
    return 0


def status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
