#!/usr/bin/env python3
"""Asserts what the crp-adapter chart renders, beyond schema validity (scripts/chart-check).

  check_rendered.py default|secure RENDERED.yaml --repo DIR [--adapter BIN]

Checks that every file the service config names is in the ConfigMap and mounted, that the
shipped files arrive byte for byte, that the rendered service config and partner files
pass the project's own JSON Schemas (schemas/), that each secret reaches the pod from the
Secret it names and never through a ConfigMap, the pod's security settings, probes and
network policy (every egress rule names its destinations), the `helm test` pod, and the
PrometheusRule and dashboard as the chart's files. With --adapter, `crp-adapter check-config`
loads the rendered config exactly as mounted in the pod (secret files and variables stood in
by test values), and `check-config --offline` with no secret at all, as the `helm test` pod
runs it.
"""
import argparse
import base64
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema
import yaml

SECRETS_DIR = "/var/run/secrets/crp-adapter"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def load(rendered):
    objects = [o for o in yaml.safe_load_all(rendered.read_text()) if o]
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)
    return objects, by_kind


def one(by_kind, kind):
    items = by_kind.get(kind, [])
    if not check(len(items) == 1, f"expected one {kind}, found {len(items)}"):
        sys.exit(report())
    return items[0]


def report():
    for f in failures:
        print(f"check_rendered: FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


def config_files(configmap, workload):
    """The files under /etc/crp-adapter as the pod sees them: path -> text."""
    pod = workload["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    check(volume["configMap"]["name"] == configmap["metadata"]["name"], "config volume names another ConfigMap")
    files = {}
    for item in volume["configMap"]["items"]:
        if check(item["key"] in configmap["data"], f"volume item {item['key']} is not in the ConfigMap"):
            files[item["path"]] = configmap["data"][item["key"]]
    check(len(files) == len(configmap["data"]), "ConfigMap keys that no volume item mounts")
    return files


def secret_mounts(workload):
    """Mounted secret file path -> (Secret name, key)."""
    pod = workload["spec"]["template"]["spec"]
    container = pod["containers"][0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    paths = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        # A secret volume, or a projected one gathering several Secrets (the partners' keys).
        sources = [(volume["secret"]["secretName"], volume["secret"])] if "secret" in volume else [
            (src["secret"]["name"], src["secret"]) for src in volume.get("projected", {}).get("sources", [])
            if "secret" in src]
        if sources:
            check(mount.get("readOnly") is True, f"secret mount {mount['mountPath']} is writable")
        for name, secret in sources:
            for item in secret["items"]:
                paths[f"{mount['mountPath']}/{item['path']}"] = (name, item["key"])
    return paths


def env_secrets(workload):
    container = workload["spec"]["template"]["spec"]["containers"][0]
    out = {}
    for e in container.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            out[e["name"]] = (ref["name"], ref["key"])
    return out


def check_pod_security(workload):
    pod = workload["spec"]["template"]["spec"]
    container = pod["containers"][0]
    psc, csc = pod["securityContext"], container["securityContext"]
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) > 0, "pod may run as root")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "seccomp is not RuntimeDefault")
    check(csc.get("readOnlyRootFilesystem") is True, "root file system is writable")
    check(csc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities not dropped")
    check(pod.get("automountServiceAccountToken") is False, "service account token mounted")
    check(container["args"] == ["run", "--config", "/etc/crp-adapter/crp-adapter.json"], f"args {container['args']}")
    check(container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}, "startup probe is not /healthz on admin")
    check(container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 60,
          "the startup probe allows less than a minute to start")
    check("initialDelaySeconds" not in container["livenessProbe"], "liveness delay beside a startup probe")
    check(container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}, "liveness probe is not /healthz on admin")
    check(container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}, "readiness probe is not /readyz on admin")
    check("memory" in container["resources"].get("limits", {}), "no memory limit")
    check(pod.get("terminationGracePeriodSeconds", 0) >= 10, "no grace period for the SIGTERM commit")


def check_service_config(repo, files, expect):
    cfg = json.loads(files["crp-adapter.json"])
    schema = json.loads((repo / "schemas/service-config.schema.json").read_text())
    for error in jsonschema.Draft4Validator(schema).iter_errors(cfg):
        check(False, f"crp-adapter.json{'/' + '/'.join(map(str, error.path)) if error.path else ''}: {error.message}")
    for path in cfg["protocols"] + [cfg["calendar"]["file"]]:
        check(path in files, f"service config names {path}, which is not mounted")
    protocol_schema = json.loads((repo / "schemas/protocol.schema.json").read_text())
    for path in cfg["protocols"]:
        if path in files:
            for error in jsonschema.Draft4Validator(protocol_schema).iter_errors(json.loads(files[path])):
                check(False, f"{path}: {error.message}")
    for name in expect["shipped_protocols"]:
        path = f"protocols/{name}.json"
        check(files.get(path) == (repo / "config" / path).read_text(), f"{path} differs from config/{path}")
    check(sorted(cfg["protocols"]) == sorted(f"protocols/{p}.json" for p in expect["shipped_protocols"]),
          f"protocols {cfg['protocols']}")
    check(files.get("calendars/bank-holidays.json") == (repo / "config/calendars/bank-holidays.json").read_text(),
          "the shipped calendar did not arrive verbatim")
    check(cfg["admin"]["bind"] == f"0.0.0.0:{expect['admin_port']}", f"admin.bind {cfg['admin'].get('bind')}")
    check(cfg["service"]["source"] == expect["source"], f"service.source {cfg['service']['source']}")
    return cfg


def check_network_policy(policy, kafka_ports, partner_ports, namespaces, notify_port=None):
    spec = policy["spec"]
    check(sorted(spec["policyTypes"]) == ["Egress", "Ingress"], "policy does not restrict both directions")
    ingress = spec["ingress"]
    check(len(ingress) == 1 and ingress[0]["ports"] == [{"port": "admin", "protocol": "TCP"}], "ingress beyond the admin port")
    allowed = [e["values"] for f in ingress[0]["from"] for e in f.get("namespaceSelector", {}).get("matchExpressions", [])]
    check(allowed == ([namespaces] if namespaces else []), f"ingress namespaces {allowed}")
    egress_ports = [sorted(p["port"] for p in rule["ports"]) for rule in spec["egress"]]
    check([53, 53] in egress_ports, "no DNS egress")
    check(sorted(kafka_ports) in egress_ports, f"no Kafka egress on {kafka_ports}: {egress_ports}")
    if partner_ports:
        check(sorted(partner_ports) in egress_ports, f"no partner egress on {partner_ports}: {egress_ports}")
    if notify_port:
        check([notify_port] in egress_ports, f"no GOV.UK Notify egress on {notify_port}: {egress_ports}")
    check(len(spec["egress"]) == 2 + bool(partner_ports) + bool(notify_port), f"unexpected egress rules {egress_ports}")
    for rule in spec["egress"]:
        check(rule.get("to"), f"egress rule on {rule['ports']} without destinations allows any address")


def check_test_pod(by_kind, workload, service, admin_port):
    """`helm test`: check-config --offline on the same ConfigMap, then the Service's endpoints."""
    pods = by_kind.get("Pod", [])
    if not check(len(pods) == 1, f"expected one helm test Pod, found {len(pods)}"):
        return
    pod = pods[0]
    check(pod["metadata"]["annotations"].get("helm.sh/hook") == "test", "the test Pod is not a helm test hook")
    labels = pod["metadata"].get("labels", {})
    selector = service["spec"]["selector"]
    check(not selector.items() <= labels.items(), "the Service would select the helm test Pod")
    spec = pod["spec"]
    container = spec["containers"][0]
    check(container["image"] == workload["spec"]["template"]["spec"]["containers"][0]["image"], "test Pod image")
    script = " ".join(container.get("command", []) + container.get("args", []))
    check("check-config --offline --config /etc/crp-adapter/crp-adapter.json" in script, "test Pod does not run check-config --offline")
    for path in ("/healthz", "/readyz", "/metrics"):
        check(path in script, f"test Pod does not request {path}")
    check(f"{service['metadata']['name']}.safeguarding.svc/{admin_port}" in script, "test Pod does not call the Service's admin port")
    check(spec["restartPolicy"] == "Never" and spec.get("automountServiceAccountToken") is False, "test Pod restart/token")
    check(spec["securityContext"].get("runAsNonRoot") is True, "test Pod may run as root")
    check(container["securityContext"].get("readOnlyRootFilesystem") is True, "test Pod root file system writable")
    config = lambda p: next(v for v in p["volumes"] if v["name"] == "config")
    check(config(spec) == config(workload["spec"]["template"]["spec"]), "test Pod mounts another configuration")


def check_monitoring(repo, by_kind, enabled):
    rules = by_kind.get("PrometheusRule", [])
    dashboards = [c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"].endswith("-dashboard")]
    if not enabled:
        check(not rules and not dashboards, "PrometheusRule or dashboard rendered while disabled")
        return
    if check(len(rules) == 1, f"expected one PrometheusRule, found {len(rules)}"):
        expected = yaml.safe_load((repo / "charts/crp-adapter/files/prometheus/alerts.yaml").read_text())
        check(rules[0]["spec"] == expected, "PrometheusRule spec differs from files/prometheus/alerts.yaml")
        check(rules[0]["metadata"]["labels"].get("release") == "kube-prometheus-stack", "prometheusRule.labels")
    if check(len(dashboards) == 1, f"expected one dashboard ConfigMap, found {len(dashboards)}"):
        d = dashboards[0]
        expected = json.loads((repo / "charts/crp-adapter/files/grafana/crp-adapter.json").read_text())
        check(json.loads(d["data"]["crp-adapter.json"]) == expected, "dashboard differs from files/grafana/crp-adapter.json")
        check(d["metadata"]["labels"].get("grafana_dashboard") == "1", "dashboard ConfigMap lacks the sidecar label")


def run_check_config_offline(adapter, files):
    """check-config --offline, as the helm test Pod runs it: no secret file, no variable."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for path, text in files.items():
            target = root / "etc" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(SECRETS_DIR, str(root / "secrets")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRP_PARTNER_SECRET_")}
        run = subprocess.run([adapter, "check-config", "--offline", "--config", str(root / "etc/crp-adapter.json")],
                             env=env, capture_output=True, text=True, timeout=60)
        check(run.returncode == 0, f"check-config --offline refused the rendered config: {run.stderr.strip()}")


def run_check_config(adapter, files, secret_files, env):
    """crp-adapter check-config on the files as mounted, secrets stood in under a temp dir."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for path, text in files.items():
            target = root / "etc" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(SECRETS_DIR, str(root / "secrets")))
        for path, content in secret_files.items():
            target = root / "secrets" / os.path.relpath(path, SECRETS_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        run = subprocess.run([adapter, "check-config", "--config", str(root / "etc/crp-adapter.json")],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
        check(run.returncode == 0, f"crp-adapter check-config refused the rendered config: {run.stderr.strip()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["default", "secure"])
    ap.add_argument("rendered", type=pathlib.Path)
    ap.add_argument("--repo", type=pathlib.Path, required=True)
    ap.add_argument("--adapter")
    args = ap.parse_args()
    objects, by_kind = load(args.rendered)
    check(not by_kind.get("Secret"), "the chart must reference existing Secrets, never create them")
    configmap = one({"ConfigMap": [c for c in by_kind.get("ConfigMap", [])
                                   if not c["metadata"]["name"].endswith("-dashboard")]}, "ConfigMap")
    service = one(by_kind, "Service")
    check(service["spec"]["ports"][0]["name"] == "admin", "Service port is not the admin port")
    workload = one(by_kind, "Deployment")
    check_pod_security(workload)
    files = config_files(configmap, workload)
    mounts = secret_mounts(workload)
    envs = env_secrets(workload)
    one(by_kind, "PodDisruptionBudget")
    policy = one(by_kind, "NetworkPolicy")
    selector = workload["spec"]["selector"]["matchLabels"]
    for obj in (service, policy, one(by_kind, "PodDisruptionBudget")):
        sel = obj["spec"].get("selector", obj["spec"].get("podSelector", {}))
        sel = sel.get("matchLabels", sel)
        check(sel == selector, f"{obj['kind']} selects {sel}, the pods carry {selector}")

    if args.case == "default":
        cfg = check_service_config(args.repo, files, {
            "shipped_protocols": ["bradford", "rotherham", "walsall", "calderdale", "iro-cp-lac"],
            "admin_port": 8080, "source": "urn:crp-adapter:example-authority"})
        password = f"{SECRETS_DIR}/kafka/sasl/password"
        check(cfg["kafka"] == {"bootstrap.servers": "kafka:9092", "security.protocol": "SASL_SSL",
                               "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "crp-adapter",
                               "sasl.password": {"file": password}},
              f"kafka is not SASL_SSL by default: {cfg['kafka']}")
        check("token_file" not in cfg["admin"], "a token file without a token Secret")
        check("partners" not in cfg.get("webhooks", {}), "partners configured without partner values")
        check("notify" not in cfg, "GOV.UK Notify configured while notify.enabled is false")
        check(mounts == {password: ("crp-kafka-credentials", "password")} and not envs,
              f"secrets mounted without values asking for them: {mounts} {envs}")
        check("ServiceMonitor" not in by_kind, "ServiceMonitor rendered while disabled")
        check(workload["spec"]["replicas"] == 2, "replicas")
        check_network_policy(policy, [9092], [], ["monitoring"])
        check(policy["spec"]["egress"][1]["to"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "kafka"}}}],
              f"default Kafka egress destinations {policy['spec']['egress'][1].get('to')}")
        check_test_pod(by_kind, workload, service, 8080)
        check_monitoring(args.repo, by_kind, False)
        if args.adapter:
            run_check_config(args.adapter, files, {password: "test-password\n"}, {})
            run_check_config_offline(args.adapter, files)
    else:
        cfg = check_service_config(args.repo, files, {
            "shipped_protocols": ["bradford", "calderdale"], "admin_port": 9090, "source": "urn:crp-adapter:leeds"})
        k = cfg["kafka"]
        check(k["security.protocol"] == "SASL_SSL" and k["sasl.mechanism"] == "SCRAM-SHA-512"
              and k["sasl.username"] == "crp-adapter", f"kafka {k}")
        check(mounts.get(k["sasl.password"].get("file") if isinstance(k["sasl.password"], dict) else None)
              == ("crp-kafka-credentials", "password"), f"sasl.password {k['sasl.password']} is not the mounted Secret")
        check(mounts.get(k["ssl.ca.location"]) == ("kafka-cluster-ca", "ca.crt"), f"ssl.ca.location {k['ssl.ca.location']}")
        check(mounts.get(k["ssl.certificate.location"]) == ("crp-kafka-client", "tls.crt"), "ssl.certificate.location")
        check(mounts.get(k["ssl.key.location"]) == ("crp-kafka-client", "tls.key"), "ssl.key.location")
        check(k["transaction.timeout.ms"] == "30000", "kafka.properties not passed through")
        check(mounts.get(cfg["admin"].get("token_file")) == ("crp-admin-token", "token"), "admin.token_file is not the mounted Secret")
        check(cfg["webhooks"] == {"partners": "partners", "pending_topic": "crp.partners.pending.leeds"}, f"webhooks {cfg['webhooks']}")
        secure_values = yaml.safe_load((args.repo / "tests/charts/values-secure.yaml").read_text())
        check(cfg["directory"] == secure_values["config"]["directory"]
              and cfg["directory"]["roles"]["team_manager"] == "team.managers@leeds.gov.uk"
              and "file" not in cfg["directory"],
              "config.directory did not replace the shipped directory as a whole")
        partner_schema = json.loads((args.repo / "schemas/partner.schema.json").read_text())
        # Signing keys are mounted files by default (newest first); `env` asks for a variable.
        key_files = {"bscp": [(f"{SECRETS_DIR}/partners/bscp/1", ("crp-webhook-bscp", "current")),
                              (f"{SECRETS_DIR}/partners/bscp/2", ("crp-webhook-bscp", "previous"))]}
        expected_env = {"health-trust": [("HEALTH_TRUST_WEBHOOK_SECRET", ("crp-webhook-health", "whsec"))]}
        for pid, keys in key_files.items():
            path = f"partners/{pid}.json"
            if not check(path in files, f"{path} not mounted"):
                continue
            partner = json.loads(files[path])
            check(partner["secrets"] == [{"file": f} for f, _ in keys], f"{path}: secrets {partner['secrets']}")
            for f, ref in keys:
                check(mounts.get(f) == ref, f"{f} is not the mounted key {ref}")
        for pid, secrets in expected_env.items():
            path = f"partners/{pid}.json"
            if not check(path in files, f"{path} not mounted"):
                continue
            partner = json.loads(files[path])
            for error in jsonschema.Draft4Validator(partner_schema).iter_errors(partner):
                check(False, f"{path}: {error.message}")
            check(partner["id"] == pid and "signingSecrets" not in partner, f"{path}: id or chart-only keys")
            check(partner["secrets"] == [{"env": name} for name, _ in secrets], f"{path}: secrets {partner['secrets']}")
            for name, ref in secrets:
                check(envs.get(name) == ref, f"{name} is not from Secret {ref}")
        check(len(envs) == 1, f"unexpected secret variables {sorted(envs)}")
        # GOV.UK Notify: the API key and the callback token are mounted files, the rest is values.
        n = cfg.get("notify", {})
        check(mounts.get(n.get("api_key", {}).get("file")) == ("crp-notify", "api-key"), f"notify.api_key {n.get('api_key')}")
        check(mounts.get(n.get("callback_token", {}).get("file")) == ("crp-notify", "callback-token"),
              f"notify.callback_token {n.get('callback_token')}")
        check({k: v for k, v in n.items() if k not in ("api_key", "callback_token")} == {
            "base_url": "https://api.notifications.service.gov.uk", "rate_limit_per_minute": 1500,
            "service_id": "26785a09-ab16-4eb0-8407-a37497a57506", "fallback_email": "crp.failures@leeds.gov.uk"},
              f"notify {n}")
        text = json.dumps(configmap["data"])
        check("whsec_" not in text and "hunter" not in text, "secret material in the ConfigMap")
        check(workload["spec"]["replicas"] == 3, "replicaCount")
        image = workload["spec"]["template"]["spec"]["containers"][0]["image"]
        check(image.startswith("registry.council.example/crp-adapter@sha256:"), f"image {image}")
        check_network_policy(policy, [9093, 9094], [443, 8443], ["monitoring", "safeguarding-ops"], notify_port=443)
        check_test_pod(by_kind, workload, service, 9090)
        check_monitoring(args.repo, by_kind, True)
        monitor = one(by_kind, "ServiceMonitor")
        check(monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items(),
              "ServiceMonitor does not select the Service")
        check(monitor["spec"]["endpoints"][0]["port"] == "admin" and monitor["spec"]["endpoints"][0]["path"] == "/metrics",
              "ServiceMonitor endpoint")
        check(monitor["metadata"]["labels"].get("release") == "kube-prometheus-stack", "serviceMonitor.labels")
        if args.adapter:
            whsec = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
            run_check_config(args.adapter, files,
                             {k["sasl.password"]["file"]: "test-password\n", cfg["admin"]["token_file"]: "test-token\n",
                              n["api_key"]["file"]: "crp-live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0\n",
                              n["callback_token"]["file"]: "a-callback-token-of-32-characters\n",
                              k["ssl.ca.location"]: "", k["ssl.certificate.location"]: "", k["ssl.key.location"]: "",
                              **{f: whsec + "\n" for keys in key_files.values() for f, _ in keys}},
                             {name: whsec for secrets in expected_env.values() for name, _ in secrets})
            run_check_config_offline(args.adapter, files)
    status = report()
    if status == 0:
        print(f"check_rendered: {args.case}: {len(objects)} objects as expected"
              f"{', check-config accepted the config' if args.adapter else ''}")
    return status


if __name__ == "__main__":
    sys.exit(main())
