"""The steps every runtime's journey shares (local processes, Kubernetes): a Ready version, a
deployment reaching a state, scale, roll out and roll back. Each journey test adds what only
its runtime can show (kill -9 under load, the cluster's objects)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.load import LoadLoop
from tests.fixtures.control_plane import Api, ControlPlane, poll

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def upload_ready_version(
    api: Api,
    model_id: int,
    tag: str,
    model: Path,
    requirements: Path,
    timeout: float = 120,
    code: Path | None = None,
) -> dict:
    """`code`: the user's own module, shipped beside the model (the upload's code_file)."""
    version = api.call("POST", f"/models/{model_id}/versions", 201, json={"version_tag": tag})
    files: dict[str, Any] = {
        "model_file": ("model.joblib", model.read_bytes()),
        "requirements_file": ("requirements.txt", requirements.read_bytes()),
    }
    if code is not None:
        files["code_file"] = (code.name, code.read_bytes())
    api.call("POST", f"/versions/{version['id']}/upload", files=files)
    done = poll(
        lambda: (v := api.call("GET", f"/versions/{version['id']}"))["status"] != "Building" and v,
        timeout,
        f"version {tag} to build",
    )
    assert done["status"] == "Ready", done["error"]
    return done


def owner_with_ready_model(
    control_plane: ControlPlane, email: str, name: str, model: Path, requirements: Path
) -> tuple[Api, dict, dict]:
    """A new user owning model `name` whose v1 has built Ready."""
    owner = Api.register(control_plane.url, email)
    created = owner.call("POST", "/models", 201, json={"name": name})
    return owner, created, upload_ready_version(owner, created["id"], "v1", model, requirements)


def wait_deployment(
    api: Api, dep_id: int, what: str, check: Callable[[dict], bool], timeout: float = 60
) -> dict:
    return poll(lambda: (d := api.call("GET", f"/deployments/{dep_id}")) and check(d) and d, timeout, what)


def predictions(api: Api, url: str) -> Any:
    return api.http.post(url, json={"data": ROWS}).json().get("predictions")


def scale(owner: Api, dep_id: int, replicas: int, timeout: float) -> dict:
    """PATCH the replica count; the deployment once that many replicas are ready."""
    owner.call("PATCH", f"/deployments/{dep_id}", json={"replicas": replicas})
    return wait_deployment(
        owner, dep_id, f"{replicas} ready replicas", lambda d: d["ready_replicas"] == replicas, timeout
    )


def roll_out_and_back(
    owner: Api,
    dep: dict,
    v1: dict,
    v2: dict,
    expected: tuple[list, list],
    *,
    replicas: int,
    timeout: float,
    under_load: bool,
) -> list[str]:
    """Roll `dep` (serving v1) out to v2: every replica of release 2 ready, answers switch to
    v2, release 2 Active and 1 Superseded; then roll back: release 3 serves v1 again.
    `under_load`: a client keeps predicting during the roll-out and no request of it may fail.
    `expected`: v1's and v2's predictions for ROWS. Returns the deployment's last log lines."""
    expected_v1, expected_v2 = expected
    load = LoadLoop(dep["url"], dict(owner.http.headers), {"data": ROWS}) if under_load else None
    with load or contextlib.nullcontext():
        if load:
            poll(lambda: load.total > 20, 30, "load to flow")
        owner.call("PATCH", f"/deployments/{dep['id']}", json={"version_id": v2["id"]})
        wait_deployment(
            owner,
            dep["id"],
            "release 2 serving",
            lambda d: (
                d["status"] == "Running"
                and d["release"] == 2
                and d["version_tag"] == v2["version_tag"]
                and {i["release"] for i in d["instances"]} == {2}
                and d["ready_replicas"] == replicas
            ),
            timeout,
        )
        poll(lambda: predictions(owner, dep["url"]) == expected_v2, timeout, "v2 answers")
        if load:
            poll(lambda: load.answers[str(expected_v2)] > 10, 30, "v2 answers under load")
    if load:
        print(f"\nrollout under load: {load.total} requests, {len(load.failures)} failed")
        assert load.failures == [], load.failures[:5]
        assert set(load.answers) <= {str(expected_v1), str(expected_v2)}
    poll(
        lambda: (
            [(r["revision"], r["status"]) for r in owner.call("GET", f"/deployments/{dep['id']}/releases")]
            == [(2, "Active"), (1, "Superseded")]
        ),
        30,
        "release 2 Active, release 1 Superseded",
    )

    back = owner.call("POST", f"/deployments/{dep['id']}/rollback")
    assert back["release"] == 3 and back["version_id"] == v1["id"]
    poll(lambda: predictions(owner, dep["url"]) == expected_v1, timeout, "v1 answers after rollback")
    logs: list[str] = owner.call("GET", f"/deployments/{dep['id']}/logs", params={"tail": 50})["lines"]
    assert logs and len(logs) <= 50
    return logs
