"""charts/kubeserve rendered offline over a matrix of values: every object strictly valid on
Kubernetes 1.29/1.33/1.37, pods restricted with requests and limits, lint clean, and the
values that must be refused are refused."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from tests.kubernetes.chart import (
    CHART,
    SECRETS,
    SERVICE_MONITOR_API,
    by_kind,
    dump,
    helm3,
    merged,
    notes,
    one,
    render,
    render_helm3,
)
from tests.kubernetes.validation import KUBERNETES_VERSIONS, assert_deployable, validate_strict

Doc = dict[str, Any]

MATRIX: dict[str, Doc] = {
    "defaults": {},
    "ingress": {"ingress": {"enabled": True, "host": "ml.example.org", "tlsSecretName": "ml-tls"}},
    "ingress-gateway-only": {
        "ingress": {"enabled": True, "gatewayOnly": True, "className": "", "host": "ml.example.org"}
    },
    "service-monitor": {
        "serviceMonitor": {"enabled": True},
        "metrics": {"existingSecret": "kubeserve-scrape"},
    },
    "autoscaling": {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 6}},
    "one-replica": {"replicaCount": 1},
    "three-replicas": {"replicaCount": 3, "podDisruptionBudget": {"maxUnavailable": 2}},
    "no-network-policy": {"networkPolicy": {"enabled": False}},
    "one-secret-for-everything": {  # the default keys differ, so one Secret can hold them all
        key: {"existingSecret": "kubeserve"} for key in ("database", "auth", "storage", "metrics")
    },
    "pinned-and-tuned": {
        "image": {"repository": "registry.example.org/ml/kubeserve", "digest": "sha256:" + "ab" * 32},
        "imagePullSecrets": [{"name": "registry"}],
        "database": {"existingSecret": "pg-app", "key": "uri"},  # CloudNativePG's app Secret
        "config": {"publicUrl": "https://ml.example.org", "extraEnv": {"KUBESERVE_WARM_POOL_SIZE": 0}},
        "storage": {"endpoint": "s3.amazonaws.com", "secure": True, "region": "eu-west-1"},
        "networkPolicy": {
            "egress": [{"port": 443, "cidr": "10.0.0.0/8"}, {"port": 5432, "namespace": "databases"}]
        },
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "4Gi"}},
    },
}


@pytest.fixture(scope="module", params=list(MATRIX))
def case(request: pytest.FixtureRequest) -> tuple[str, list[Doc]]:
    return request.param, render(merged(SECRETS, MATRIX[request.param]))


def test_every_object_is_valid_restricted_and_bounded(case: tuple[str, list[Doc]]) -> None:
    _, docs = case
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount", "ClusterRole", "Role"} <= kinds
    for doc in docs:
        assert_deployable(doc)
        if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert doc["metadata"]["namespace"] == "kubeserve", doc["kind"]


def test_the_control_plane_pod(case: tuple[str, list[Doc]]) -> None:
    name, docs = case
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/api/v1/health", "port": "http"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    config = one(docs, "ConfigMap")
    assert config["data"]["KUBESERVE_RUNTIME"] == "kubernetes"
    assert config["data"]["KUBESERVE_ENVIRONMENT"] == "production"
    assert pod["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"]
    assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
    if name == "autoscaling":
        assert "replicas" not in deployment["spec"]
        assert one(docs, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 2
    else:
        assert deployment["spec"]["replicas"] == MATRIX[name].get("replicaCount", 2)
        assert by_kind(docs, "HorizontalPodAutoscaler") == []


def test_a_disruption_budget_only_when_more_than_one_pod_runs(case: tuple[str, list[Doc]]) -> None:
    name, docs = case
    budgets = by_kind(docs, "PodDisruptionBudget")
    if name == "one-replica":
        assert budgets == []  # a budget over one pod would block every node drain
    else:
        assert len(budgets) == 1
        selector = budgets[0]["spec"]["selector"]["matchLabels"]
        assert selector == one(docs, "Deployment")["spec"]["selector"]["matchLabels"]


def test_the_ingress_routes_the_gateway_without_rewriting(case: tuple[str, list[Doc]]) -> None:
    name, docs = case
    ingresses = by_kind(docs, "Ingress")
    if "ingress" not in MATRIX[name]:
        assert ingresses == []
        assert "KUBESERVE_FORWARDED_ALLOW_IPS" not in one(docs, "ConfigMap")["data"]  # nobody to trust
        return
    ingress = ingresses[0]
    paths = {p["path"]: p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    expected = ["/api/v1/predict"] if MATRIX[name]["ingress"].get("gatewayOnly") else ["/api/v1/predict", "/"]
    assert list(paths) == expected
    service = one(docs, "Service")
    for path in paths.values():
        assert path["pathType"] == "Prefix"
        assert path["backend"]["service"] == {"name": service["metadata"]["name"], "port": {"name": "http"}}
    annotations = ingress["metadata"].get("annotations") or {}
    assert not any("rewrite-target" in key for key in annotations)
    if ingress["spec"].get("ingressClassName") == "nginx":  # uploads of 500 MB pass nginx's 1 MB default
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "600m"
    config = one(docs, "ConfigMap")["data"]
    host = ingress["spec"]["rules"][0]["host"]
    scheme = "https" if ingress["spec"].get("tls") else "http"
    assert config["KUBESERVE_PUBLIC_URL"] == f"{scheme}://{host}"
    assert config["KUBESERVE_FORWARDED_ALLOW_IPS"] == "*"  # login limits see each client, not the controller


def test_the_network_policy_polices_both_directions(case: tuple[str, list[Doc]]) -> None:
    name, docs = case
    policies = by_kind(docs, "NetworkPolicy")
    if name == "no-network-policy":
        assert policies == []
        return
    policy = one(docs, "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert (
        policy["spec"]["podSelector"]["matchLabels"]
        == one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
    )
    assert all(rule.get("from") for rule in policy["spec"]["ingress"])  # never "from anywhere" by default
    dns, own_namespace, tenants, *others = policy["spec"]["egress"]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert own_namespace == {"to": [{"podSelector": {}}]}
    assert tenants["to"][0]["namespaceSelector"]["matchExpressions"][0]["operator"] == "Exists"
    if name == "pinned-and-tuned":
        assert [rule["to"] for rule in others] == [
            [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
            [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "databases"}}}],
        ]


def test_no_service_monitor_without_its_crd(case: tuple[str, list[Doc]]) -> None:
    """helm-python-sdk renders for a cluster without the CRD: asking for one must not break it."""
    _, docs = case
    assert by_kind(docs, "ServiceMonitor") == []
    rules = one(docs, "ClusterRole")["rules"]
    assert not any("monitoring.coreos.com" in rule["apiGroups"] for rule in rules)


def test_a_service_monitor_when_the_cluster_has_the_crd(tmp_path: Path) -> None:
    values = merged(SECRETS, MATRIX["service-monitor"])
    docs = render_helm3(values, tmp_path, api_versions=(SERVICE_MONITOR_API,))
    monitor = one(docs, "ServiceMonitor")
    validate_strict(monitor)
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["credentials"] == {"name": "kubeserve-scrape", "key": "scrape-token"}
    assert monitor["spec"]["selector"]["matchLabels"] == one(docs, "Service")["spec"]["selector"]
    rules = one(docs, "ClusterRole")["rules"]
    assert any(rule["resources"] == ["servicemonitors"] for rule in rules)
    for doc in docs:
        assert_deployable(doc)


def test_helm3_renders_what_helm4_renders(tmp_path: Path) -> None:
    values = merged(SECRETS, MATRIX["ingress"])

    def key(doc: Doc) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    assert sorted(render_helm3(values, tmp_path), key=key) == sorted(render(values), key=key)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_lint_is_clean_in_strict_mode(version: str) -> None:
    for values in (SECRETS, merged(SECRETS, MATRIX["ingress"], MATRIX["autoscaling"])):
        report = helm.lint(CHART, values, strict=True, namespace="kubeserve", kube_version=f"v{version}.0")
        assert report["errors"] == []
        assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_helm3_lint_is_clean_in_strict_mode(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(dump([merged(SECRETS, MATRIX["ingress"])]))
    result = subprocess.run(
        [helm3(), "lint", "--strict", str(CHART), "-f", str(values), "--kube-version", "1.29.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("missing", ["database", "auth", "storage"])
def test_a_missing_existing_secret_is_refused(missing: str) -> None:
    values = {key: value for key, value in SECRETS.items() if key != missing}
    with pytest.raises(helm.HelmRenderError, match=f"{missing}.existingSecret"):
        render(values)


def test_an_ingress_needs_a_host() -> None:
    with pytest.raises(helm.HelmRenderError, match="ingress.host"):
        render(merged(SECRETS, {"ingress": {"enabled": True}}))


def test_a_service_monitor_needs_the_scrape_token_secret() -> None:
    with pytest.raises(helm.HelmRenderError, match="metrics.existingSecret"):
        render(merged(SECRETS, {"serviceMonitor": {"enabled": True}}))


@pytest.mark.parametrize(
    "bad",
    [
        {"replicaCount": "two"},
        {"replicaCount": 0},
        {"replicaCont": 2},  # a typo is an error, not a silent default
        {"config": {"extraEnv": {"KUBESERVE_SECRET_KEY": "hunter2"}}},
        {"config": {"extraEnv": {"KUBESERVE_DATABASE_URL": "postgresql://u:p@db/k"}}},
        {"config": {"extraEnv": {"KUBESERVE_S3_SECRET_KEY": "x"}}},
        {"config": {"extraEnv": {"PATH": "/tmp"}}},
        {"image": {"digest": "latest"}},
        {"ingress": {"host": "Not A Host"}},
        {"database": {"password": "hunter2"}},
        {"networkPolicy": {"egress": [{"port": 5432}]}},
        {"networkPolicy": {"egress": [{"port": 5432, "cidr": "10.0.0.0/8", "namespace": "db"}]}},
        {"storage": {"accessKey": "AKIA..."}},
    ],
)
def test_the_values_schema_refuses(bad: Doc) -> None:
    with pytest.raises(helm.HelmError):
        render(merged(SECRETS, bad))


SECRET_ENV = re.compile(r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY|DATABASE_URL)")
URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def test_no_rendered_object_holds_secret_material(case: tuple[str, list[Doc]]) -> None:
    _, docs = case
    assert by_kind(docs, "Secret") == []
    for doc in docs:
        assert not URL_CREDENTIALS.search(str(doc)), doc["kind"]
    assert not [key for key in one(docs, "ConfigMap")["data"] if SECRET_ENV.search(key)]
    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    secret_env = [env for env in container["env"] if SECRET_ENV.search(env["name"])]
    assert {env["name"] for env in secret_env} >= {
        "KUBESERVE_DATABASE_URL",
        "KUBESERVE_SECRET_KEY",
        "KUBESERVE_S3_ACCESS_KEY",
        "KUBESERVE_S3_SECRET_KEY",
    }
    refs = [
        (env["valueFrom"]["secretKeyRef"]["name"], env["valueFrom"]["secretKeyRef"]["key"])
        for env in container["env"]
    ]
    assert len(set(refs)) == len(refs), "two settings read the same Secret key"
    for env in container["env"]:
        assert "value" not in env and set(env["valueFrom"]) == {"secretKeyRef"}, env["name"]


def test_rbac_never_grants_wildcards_or_escalation(case: tuple[str, list[Doc]]) -> None:
    """The exact rules are held against the runtime in test_chart_runtime.py."""
    _, docs = case
    cluster_rules = one(docs, "ClusterRole")["rules"]
    cluster_verbs = {verb for rule in cluster_rules for verb in rule["verbs"]}
    assert not cluster_verbs & {"*", "update", "escalate", "bind", "impersonate", "deletecollection"}
    every_rule = cluster_rules + one(docs, "Role")["rules"]
    for rule in every_rule:
        assert "*" not in rule["apiGroups"] and "*" not in rule["resources"]
        if "secrets" in rule["resources"]:
            assert "get" not in rule["verbs"] and "watch" not in rule["verbs"]
    binding = one(docs, "ClusterRoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubeserve", "namespace": "kubeserve"}]
    assert binding["roleRef"]["name"] == one(docs, "ClusterRole")["metadata"]["name"]


def test_notes_print_the_first_steps() -> None:
    text = notes(merged(SECRETS, MATRIX["ingress"]))
    assert "kubectl -n kubeserve rollout status deployment/kubeserve" in text
    assert "URL=https://ml.example.org" in text
    assert "kubeserve register --url $URL" in text
    text = notes(merged(SECRETS, {"serviceMonitor": {"enabled": True}, "metrics": {"existingSecret": "m"}}))
    assert "no ServiceMonitor CRD" in text
    assert "port-forward service/kubeserve 8000:80" in notes(SECRETS)
    assert "exec deploy/kubeserve -- kubeserve admin grant" in notes(SECRETS)  # the first admin


GOLDEN = Path(__file__).parent / "golden" / "chart-ingress.yaml"


def test_the_rendered_chart_matches_its_golden_file() -> None:
    """Every rendered line, reviewed once: a template change shows up as a diff of this file."""
    text = dump(render(merged(SECRETS, MATRIX["ingress"])))
    if os.environ.get("KUBESERVE_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        "intended? KUBESERVE_UPDATE_GOLDEN=1 pytest tests/kubernetes, review the diff"
    )


def test_the_paths_the_chart_names_are_served_by_the_control_plane(tmp_path: Path) -> None:
    """Probes, the ServiceMonitor and the ingress's gateway path point at routes the app has."""
    from kubeserve.app import create_app
    from kubeserve.config import Settings

    app = create_app(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    served = set(app.openapi()["paths"])
    docs = render(merged(SECRETS, MATRIX["ingress"]))
    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] in served
    assert (
        "/metrics" in served
    )  # the ServiceMonitor's path (test_a_service_monitor_when_the_cluster_has_the_crd)
    gateway_paths = [p["path"] for p in one(docs, "Ingress")["spec"]["rules"][0]["http"]["paths"]]
    assert gateway_paths[0] == "/api/v1/predict"
    assert any(path.startswith(gateway_paths[0] + "/") for path in served)


def unknown_settings(docs: list[Doc]) -> list[str]:
    """KUBESERVE_* variables the chart sets that are no Settings field (Settings ignore those)."""
    from kubeserve.config import Settings

    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    names = list(one(docs, "ConfigMap")["data"]) + [env["name"] for env in container["env"]]
    prefix = "KUBESERVE_"
    return [
        n for n in names if not n.startswith(prefix) or n[len(prefix) :].lower() not in Settings.model_fields
    ]


def test_every_variable_the_chart_sets_is_a_setting(case: tuple[str, list[Doc]]) -> None:
    """A misspelt variable would be silently lost."""
    assert unknown_settings(case[1]) == []


def test_the_values_of_the_kind_journey_render() -> None:
    """scripts/e2e-kind.sh cannot run here; the values it installs the chart with can be checked."""
    script = (CHART.parents[1] / "scripts" / "e2e-kind.sh").read_text()
    block = re.search(r'cat >"\$WORK/values.yaml" <<EOF\n(.*?)\nEOF\n', script, re.S)
    assert block, "the values heredoc moved"
    values = yaml.safe_load(re.sub(r"\$[A-Z_]+", "e2e", block.group(1)))
    docs = render(values)
    assert one(docs, "Ingress")["spec"]["rules"][0]["host"] == "e2e"
    assert unknown_settings(docs) == []
    for doc in docs:
        assert_deployable(doc)
