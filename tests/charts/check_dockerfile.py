#!/usr/bin/env python3
"""Checks the Dockerfile without a Docker engine (scripts/chart-check).

  check_dockerfile.py REPO [--adapter BIN]

Parses it with BuildKit's own parser (the `dockerfile` wheel) and asserts what the chart
relies on: Debian 12 stages (a base given by a global ARG is checked by its default), a non-root USER equal to the chart's runAsUser, the command
the chart runs, the admin port, every COPY source present and not excluded by
.dockerignore's first rule. With --adapter, every shared library the built binary needs
(readelf NEEDED, owner found with dpkg) is installed by the runtime stage or in the base.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys

import dockerfile
import yaml

BASE_IMAGE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:12-slim already
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def apt_packages(run_value):
    m = re.search(r"apt-get install ([^&]*)", run_value)
    return {w for w in m.group(1).split() if not w.startswith("-")} if m else set()


def needed_packages(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"\(NEEDED\).*\[(.+)\]", out)
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    packages = {}
    for lib in libs:
        m = re.search(rf"^\s*{re.escape(lib)} \(libc6[^)]*\) => (\S+)", cache, re.M)
        if not check(m is not None, f"{lib} not found by ldconfig"):
            continue
        path = pathlib.Path(m.group(1)).resolve()
        owner = subprocess.run(["dpkg", "-S", str(path)], capture_output=True, text=True)
        if owner.returncode != 0:  # merged /usr: dpkg may know the /lib path
            owner = subprocess.run(["dpkg", "-S", str(path).replace("/usr/lib/", "/lib/")], capture_output=True, text=True)
        if check(owner.returncode == 0, f"no Debian package owns {path}"):
            packages[lib] = owner.stdout.split(":")[0]
    return packages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", type=pathlib.Path)
    ap.add_argument("--adapter")
    args = ap.parse_args()
    commands = dockerfile.parse_file(str(args.repo / "Dockerfile"))
    stages, current, global_args = {}, None, {}
    for c in commands:
        if c.cmd == "ARG" and current is None:
            # A global ARG (before any FROM) names a stage's base: its default is what
            # `docker build` uses; scripts/image-build passes its own Debian 12 base.
            name, _, default = c.value[0].partition("=")
            check(default != "", f"global ARG {name} has no default")
            global_args[name] = default
        elif c.cmd == "FROM":
            check(len(c.value) == 3 and c.value[1].upper() == "AS", f"unnamed stage: {c.original}")
            current = c.value[-1]
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args.get(m.group(1) or m.group(2), "?"),
                          c.value[0])
            stages[current] = {"from": base, "commands": []}
        else:
            check(current is not None, f"{c.cmd} before FROM")
            stages[current]["commands"].append(c)
        check(c.cmd != "ADD", f"ADD at line {c.start_line}: use COPY")
    check(list(stages) == ["build", "runtime"], f"stages {list(stages)}")
    for name, stage in stages.items():
        check(re.fullmatch(r"debian:12(-slim)?(@sha256:[0-9a-f]{64})?", stage["from"]) is not None,
              f"stage {name} is not Debian 12: {stage['from']}")
        for c in stage["commands"]:
            if c.cmd == "RUN" and "apt-get install" in c.value[0]:
                check("--no-install-recommends" in c.value[0], f"line {c.start_line}: recommends installed")
                check("rm -rf /var/lib/apt/lists" in c.value[0], f"line {c.start_line}: apt lists left in the layer")
            if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags):
                for source in c.value[:-1]:
                    check((args.repo / source).exists(), f"COPY {source}: not in the repository")
    runtime = stages.get("runtime", {"commands": []})["commands"]
    last = {c.cmd: c for c in runtime}
    values = yaml.safe_load((args.repo / "charts/crp-adapter/values.yaml").read_text())
    uid = values["podSecurityContext"]["runAsUser"]
    check("USER" in last and last["USER"].value[0].split(":")[0] == str(uid),
          f"runtime USER is not the chart's runAsUser {uid}")
    check("ENTRYPOINT" in last and last["ENTRYPOINT"].json, "ENTRYPOINT not in exec form (SIGTERM would hit a shell)")
    check("CMD" in last and list(last["CMD"].value) == ["run", "--config", "/etc/crp-adapter/crp-adapter.json"],
          "CMD differs from the chart's args")
    check("EXPOSE" in last and last["EXPOSE"].value[0] == str(values["admin"]["port"]), "EXPOSE is not the admin port")
    check(any(c.cmd == "COPY" and "--from=build" in c.flags for c in runtime), "binary not copied from build")
    installed = set()
    for c in runtime:
        if c.cmd == "RUN":
            installed |= apt_packages(c.value[0])
    for required in ("tzdata", "ca-certificates"):
        check(required in installed, f"runtime stage lacks {required}")
    ignore = (args.repo / ".dockerignore").read_text().split("\n")
    check("*" in ignore, ".dockerignore does not start from nothing")
    if args.adapter and shutil.which("readelf") and shutil.which("dpkg"):
        for lib, package in needed_packages(args.adapter).items():
            check(package in installed or package in BASE_IMAGE_PACKAGES,
                  f"{lib} ({package}) is not installed by the runtime stage")
    for f in failures:
        print(f"check_dockerfile: FAIL {f}", file=sys.stderr)
    if not failures:
        print(f"check_dockerfile: {len(commands)} instructions in {len(stages)} stages as expected"
              f"{', runtime libraries complete' if args.adapter else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
