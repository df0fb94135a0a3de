"""Rendering charts/kubeserve offline: Helm 4 through helm-python-sdk, Helm 3 through the binary
that scripts/install-k8s-tools.sh puts in .tools/bin (needed for --api-versions)."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

Doc = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubeserve"
TOOLS_BIN = ROOT / ".tools" / "bin"
RELEASE, NAMESPACE = "kubeserve", "kubeserve"
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"

# The references every install needs (the chart refuses to render without them).
SECRETS: Doc = {
    "database": {"existingSecret": "kubeserve-db"},
    "auth": {"existingSecret": "kubeserve-auth"},
    "storage": {"existingSecret": "kubeserve-s3"},
}


def merged(*layers: Doc) -> Doc:
    """Deep-merge values the way Helm coalesces them (later layers win)."""
    out: Doc = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def render(values: Doc) -> list[Doc]:
    """Every object the chart renders with `values` (Helm 4; no CRDs known to the 'cluster')."""
    chart = helm.Chart.load(CHART)
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    return [
        doc
        for path, text in sorted(manifests.items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def notes(values: Doc) -> str:
    chart = helm.Chart.load(CHART)
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    return next(text for path, text in manifests.items() if path.endswith("NOTES.txt"))


def helm3() -> str:
    """The helm 3 binary; skipped where it is not installed (CI installs it: .ci/run)."""
    path = TOOLS_BIN / "helm"
    found = str(path) if path.is_file() else shutil.which("helm")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("helm 3 missing: run scripts/install-k8s-tools.sh")
    pytest.skip("helm 3 not installed (scripts/install-k8s-tools.sh)")


def render_helm3(
    values: Doc, tmp_path: Path, api_versions: tuple[str, ...] = (), kube: str = "1.33.0"
) -> list[Doc]:
    """`helm template` with the Helm 3 binary, which can pretend the cluster serves `api_versions`."""
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    command = [helm3(), "template", RELEASE, str(CHART), "--namespace", NAMESPACE, "-f", str(values_file)]
    command += ["--kube-version", kube]
    for api in api_versions:
        command += ["--api-versions", api]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HELM_CACHE_HOME": str(tmp_path / "cache"),
    }
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(docs: list[Doc]) -> str:
    """YAML without anchors (scanners and readers of golden files expect plain documents)."""
    return yaml.dump_all(docs, Dumper=_NoAliases, sort_keys=False)


def by_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[Doc], kind: str) -> Doc:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]
