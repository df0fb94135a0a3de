"""`python -m kubeserve.inference` as a real child process, over real HTTP."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kubeserve.inference.server import prepare
from tests.inference.conftest import free_port, model_server, wait_until
from tests.inference.models import IRIS_ROWS, iris_estimator
from tests.observability.promtool import assert_promtool_clean

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(iris_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module: checksum given, requirements satisfied, token required."""
    port = free_port()
    reqs = tmp_path_factory.mktemp("reqs") / "requirements.txt"
    reqs.write_text("numpy\nscikit-learn\n")
    digest = hashlib.sha256(iris_artifact.read_bytes()).hexdigest()
    env = {"KUBESERVE_MODEL_GATEWAY_TOKEN": "t0ken", "KUBESERVE_MODEL_NAME": "iris"}
    with model_server(
        "--artifact",
        f"file://{iris_artifact}",
        "--sha256",
        digest,
        "--requirements",
        str(reqs),
        "--port",
        str(port),
        env=env,
    ) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/health", proc)
        wait_until(f"{base}/ready", proc, headers={"X-KubeServe-Token": "t0ken"})
        yield base


def settled(ready: httpx.Response) -> bool:
    """A /ready answer past loading: ready, or failed with the reason."""
    return bool(ready.json()["status"] != "loading")


def test_predict_v2_and_metrics_over_http(served: str) -> None:
    headers = {"X-KubeServe-Token": "t0ken"}
    with httpx.Client(base_url=served, headers=headers) as client:
        r = client.post("/predict", json={"data": IRIS_ROWS})
        assert r.json() == {"predictions": iris_estimator().predict(IRIS_ROWS).tolist()}
        v2 = client.post(
            "/v2/models/iris/infer",
            json={"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": IRIS_ROWS[0]}]},
        )
        assert v2.json()["outputs"][0]["data"] == r.json()["predictions"][:1]
        assert client.post("/predict", json={"data": [[1, 2]]}).status_code == 422
        metrics = client.get("/metrics").text
        assert 'kubeserve_predictions_total{outcome="ok"} 2.0' in metrics
        assert 'kubeserve_predictions_total{outcome="client_error"} 1.0' in metrics
        assert r.headers["x-kubeserve-rows"] == str(len(IRIS_ROWS))
        assert_promtool_clean(metrics)
    assert httpx.post(f"{served}/predict", json={"data": IRIS_ROWS}).status_code == 403
    assert httpx.get(f"{served}/health").status_code == 200
    assert httpx.get(f"{served}/ready").status_code == 200  # kubelet probes send no token
    assert httpx.get(f"{served}/metrics").status_code == 403


def test_checksum_mismatch_refuses_to_start(iris_artifact: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeserve.inference",
            "--artifact",
            str(iris_artifact),
            "--sha256",
            "0" * 64,
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "sha256 mismatch" in out.stderr and "refusing" in out.stderr


def test_missing_artifact_refuses_to_start(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kubeserve.inference", "--artifact", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "artifact not found" in out.stderr


def test_failed_load_stays_not_ready_with_the_reason(tmp_path: Path) -> None:
    garbage = tmp_path / "model.joblib"
    garbage.write_bytes(b"definitely not a model")
    port = free_port()
    with model_server("--artifact", str(garbage), "--port", str(port)) as proc:
        ready = wait_until(f"http://127.0.0.1:{port}/ready", proc, want=503, until=settled)
        assert ready.json()["status"] == "failed"
        assert "file is not a joblib/pickle" in ready.json()["detail"]
        r = httpx.post(f"http://127.0.0.1:{port}/predict", json={"data": [[1]]})
        assert r.status_code == 503 and "not ready" in r.json()["detail"]
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200


def test_bad_requirements_line_fails_readiness(iris_artifact: Path, tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("-e git+https://example.com/x.git\n")
    settings_env = {"KUBESERVE_MODEL_ARTIFACT": str(iris_artifact), "KUBESERVE_MODEL_REQUIREMENTS": str(reqs)}
    port = free_port()
    with model_server("--port", str(port), env=settings_env) as proc:
        ready = wait_until(f"http://127.0.0.1:{port}/ready", proc, want=503, until=settled)
        assert "requirements.txt line 1" in ready.json()["detail"]


def test_prepare_reads_local_paths_and_file_uris(iris_artifact: Path, tmp_path: Path) -> None:
    from kubeserve.inference.settings import ModelServerSettings

    plan = prepare(ModelServerSettings(artifact=f"file://{iris_artifact}", work_dir=tmp_path))
    assert plan.artifact == iris_artifact and plan.packages_dir == tmp_path / "packages"


def test_several_workers_serve_the_same_model(iris_artifact: Path) -> None:
    """--workers 2: two worker processes, each loading the model and answering like it.

    Each worker loads on its own, so until both are ready a request may meet a 503 from the
    one still loading; every request is retried until it gets a 200 (with a deadline)."""
    port = free_port()
    expected = str(iris_estimator().predict(IRIS_ROWS).tolist())
    with model_server("--artifact", str(iris_artifact), "--port", str(port), "--workers", "2") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/health", proc)
        deadline = time.monotonic() + 60
        answers = []
        with httpx.Client(base_url=base) as client:
            while len(answers) < 40:
                r = client.post("/predict", json={"data": IRIS_ROWS})
                assert r.status_code in (200, 503), r.text
                if r.status_code == 200:
                    answers.append(str(r.json()["predictions"]))
                assert time.monotonic() < deadline, "the workers never all became ready"
        assert set(answers) == {expected}
        children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == proc.pid]
        workers = [
            p for p in children if b"spawn_main" in _cmdline(p) and b"resource_tracker" not in _cmdline(p)
        ]
        assert len(workers) == 2, [_cmdline(p) for p in children]


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(proc_dir: Path) -> int:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1
