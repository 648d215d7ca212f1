#!/usr/bin/env python3
"""Copies the Kubernetes JSON Schemas that the pinned `kubernetes-validate` wheel ships into
a directory kubeconform can read offline (scripts/chart-check).

  prepare_schemas.py OUT_DIR KUBERNETES_VERSION...

The wheel's schemas carry an https `$id` and refer to "/api/_definitions.json", which
kubeconform would resolve against kubernetes.io; dropping the `$id` and making the
reference relative lets it resolve to the `_definitions.json` beside each file instead.
"""
import json
import pathlib
import sys

import kubernetes_validate

REMOTE_DEFINITIONS = '"/api/_definitions.json#'


def main():
    out = pathlib.Path(sys.argv[1])
    shipped = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    for version in sys.argv[2:]:
        source = shipped / f"v{version}-local-strict"
        if not source.is_dir():
            sys.exit(f"prepare_schemas: kubernetes-validate has no schemas for Kubernetes {version}")
        target = out / f"v{version}-local-strict"
        target.mkdir(parents=True, exist_ok=True)
        for schema_file in source.glob("*.json"):
            schema = json.loads(schema_file.read_text())
            if schema_file.name != "_definitions.json":
                schema.pop("$id", None)
            text = json.dumps(schema).replace(REMOTE_DEFINITIONS, '"_definitions.json#')
            (target / schema_file.name).write_text(text)
        print(f"prepare_schemas: Kubernetes {version}: {len(list(target.glob('*.json')))} schemas")


if __name__ == "__main__":
    main()
