"""Parking (replicas: 0) and scaling to zero, against a real control plane and real replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import joblib
import pytest

from tests.e2e.journey import owner_with_ready_model, wait_deployment
from tests.fixtures.control_plane import ControlPlane

pytestmark = pytest.mark.slow
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    """SQLite only (the API suites cover both databases); idle after 2 s, quick autoscaler."""
    plane = ControlPlane(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'kubeserve.db'}",
        KUBESERVE_AUTOSCALE_INTERVAL_SECONDS="0.2",
        KUBESERVE_SCALE_DOWN_STABILIZATION_SECONDS="1",
        KUBESERVE_SCALE_TO_ZERO_AFTER_SECONDS="2",
    )
    plane.start()
    yield plane
    plane.stop()


def test_parked_answers_503_then_serves_again(
    plane: ControlPlane, iris_model: Path, iris_requirements: Path
) -> None:
    owner, _, version = owner_with_ready_model(
        plane, "parks@example.com", "iris", iris_model, iris_requirements
    )
    dep = owner.call("POST", "/deployments", 201, json={"version_id": version["id"]})
    wait_deployment(owner, dep["id"], "Running", lambda d: d["status"] == "Running")
    headers = dict(owner.http.headers)
    owner.call("PATCH", f"/deployments/{dep['id']}", json={"replicas": 0})
    parked = wait_deployment(owner, dep["id"], "Stopped", lambda d: d["status"] == "Stopped")
    assert parked["ready_replicas"] == 0 and parked["instances"] == []
    answer = httpx.post(dep["url"], json={"data": ROWS}, headers=headers)
    assert answer.status_code == 503 and "parked" in answer.json()["detail"]
    assert int(answer.headers["retry-after"]) > 0
    owner.call("PATCH", f"/deployments/{dep['id']}", json={"replicas": 1})
    wait_deployment(owner, dep["id"], "Running again", lambda d: d["status"] == "Running")
    answer = httpx.post(dep["url"], json={"data": ROWS}, headers=headers)
    assert answer.json() == {"predictions": joblib.load(iris_model).predict(ROWS).tolist()}


def test_scaled_to_zero_answers_its_next_request(
    plane: ControlPlane, iris_model: Path, iris_requirements: Path
) -> None:
    owner, _, version = owner_with_ready_model(
        plane, "idles@example.com", "iris", iris_model, iris_requirements
    )
    body = {"version_id": version["id"], "autoscaling": {"min": 0, "max": 2, "target_in_flight": 4}}
    dep = owner.call("POST", "/deployments", 201, json=body)
    wait_deployment(owner, dep["id"], "Running", lambda d: d["status"] == "Running")
    headers = dict(owner.http.headers)
    assert httpx.post(dep["url"], json={"data": ROWS}, headers=headers).status_code == 200
    idle = wait_deployment(owner, dep["id"], "Idle at zero replicas", lambda d: d["status"] == "Idle", 60)
    assert idle["desired_replicas"] == 0 and idle["instances"] == []
    answer = httpx.post(dep["url"], json={"data": ROWS}, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": joblib.load(iris_model).predict(ROWS).tolist()}
    # a replica served it (the row's status follows the reconciler's next pass, and may already
    # be back to Idle two seconds later: the request log is the record that cannot race)
    served = owner.call("GET", f"/deployments/{dep['id']}/logs", params={"tail": 1})["requests"]
    assert served[-1]["status"] == 200 and served[-1]["replica"], served
