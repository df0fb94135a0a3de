"""The journey a new user takes, through HTTP against a real control plane and real replicas:
upload -> Ready -> deploy -> predict (JWT, API key, V2) -> refusals -> scale -> kill -9 under
load -> roll out under load -> roll back -> restart the control plane -> delete."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import joblib
import numpy as np
import pytest

from tests.e2e.journey import (
    ROWS,
    owner_with_ready_model,
    roll_out_and_back,
    scale,
    upload_ready_version,
    wait_deployment,
)
from tests.e2e.load import LoadLoop
from tests.fixtures.control_plane import Api, ControlPlane, poll

pytestmark = pytest.mark.slow
# The whole journey runs on both databases; the failure and autoscaling paths below are the
# runtime's, the same whatever the database: SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"  # zombies are dead


def address_free(address: str) -> bool:
    """Nobody listens there any more: a sandboxed replica's socket went with its box."""
    if address.startswith("unix:"):
        return not Path(address.removeprefix("unix:")).exists()
    return port_free(int(address.rsplit(":", 1)[1]))


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "bound"
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_whole_journey(
    control_plane: ControlPlane, iris_model: Path, iris_requirements: Path, shifted_model: Path
) -> None:
    base = control_plane.url
    owner = Api.register(base, "owner@example.com")
    expected_v1 = joblib.load(iris_model).predict(np.array(ROWS)).tolist()
    expected_v2 = joblib.load(shifted_model).predict(np.array(ROWS)).tolist()

    model = owner.call("POST", "/models", 201, json={"name": "iris"})
    v1 = upload_ready_version(owner, model["id"], "v1", iris_model, iris_requirements)
    assert v1["signature"]["n_features_in"] == 4

    started = time.monotonic()
    dep = owner.call("POST", "/deployments", 201, json={"version_id": v1["id"], "replicas": 1})
    assert dep["status"] == "Pending" and dep["url"].endswith(f"/api/v1/predict/{dep['name']}")
    assert dep["name"].startswith("iris-") and len(dep["name"].split("-")[-1]) == 10  # random, not an id
    predict_url = dep["url"]
    first = poll(
        lambda: (r := owner.http.post(predict_url, json={"data": ROWS})).status_code == 200 and r,
        60,
        "the first good prediction",
    )
    print(f"\ndeploy request -> first good prediction: {time.monotonic() - started:.3f} s")
    assert first.json()["predictions"] == expected_v1
    wait_deployment(owner, dep["id"], "Running", lambda d: d["status"] == "Running")

    # API keys: Bearer and X-API-Key; V2 protocol through the gateway
    key = owner.call("POST", "/api-keys", 201, json={"name": "ci"})
    assert key["key"].startswith(key["prefix"])
    listed = owner.call("GET", "/api-keys")
    assert [k["prefix"] for k in listed] == [key["prefix"]] and "key" not in listed[0]
    anon = Api(base).http
    for headers in ({"Authorization": f"Bearer {key['key']}"}, {"X-API-Key": key["key"]}):
        r = anon.post(predict_url, json={"data": ROWS}, headers=headers)
        assert r.status_code == 200 and r.json()["predictions"] == expected_v1
    v2_body = {
        "inputs": [
            {"name": "input-0", "shape": [3, 4], "datatype": "FP64", "data": [x for row in ROWS for x in row]}
        ]
    }
    r = anon.post(f"{predict_url}/v2/models/iris/infer", json=v2_body, headers={"X-API-Key": key["key"]})
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"] == expected_v1
    assert anon.get(f"{predict_url}/v2/health/ready", headers={"X-API-Key": key["key"]}).status_code == 200

    # refusals: revoked key, another user, nobody, unknown deployment
    owner.call("DELETE", f"/api-keys/{key['id']}", 204)
    assert anon.post(predict_url, json={"data": ROWS}, headers={"X-API-Key": key["key"]}).status_code == 401
    stranger = Api.register(base, "stranger@example.com")
    assert stranger.http.post(predict_url, json={"data": ROWS}).status_code == 404
    stranger_key = stranger.call("POST", "/api-keys", 201, json={"name": "s"})["key"]
    assert anon.post(predict_url, json={"data": ROWS}, headers={"X-API-Key": stranger_key}).status_code == 404
    stranger.call("GET", f"/deployments/{dep['id']}", 404)
    stranger.call("PATCH", f"/deployments/{dep['id']}", 404, json={"replicas": 3})
    stranger.call("DELETE", f"/deployments/{dep['id']}", 404)
    assert anon.post(predict_url, json={"data": ROWS}).status_code == 401
    owner.call("PATCH", f"/deployments/{dep['id']}", json={"public": True})
    assert anon.post(predict_url, json={"data": ROWS}).json()["predictions"] == expected_v1
    owner.call("PATCH", f"/deployments/{dep['id']}", json={"public": False})
    assert anon.post(predict_url, json={"data": ROWS}).status_code == 401
    assert owner.http.post(f"{base}/api/v1/predict/nope-1234567890", json={"data": ROWS}).status_code == 404
    bad = owner.http.post(predict_url, json={"data": [[1.0, 2.0]]})
    assert bad.status_code == 422 and "expected 4 features, got 2" in bad.text

    # scale to 2, then kill -9 one replica while a client keeps predicting
    running = scale(owner, dep["id"], 2, 60)
    victim = running["instances"][0]
    headers = dict(owner.http.headers)
    with LoadLoop(predict_url, headers, {"data": ROWS}) as load:
        poll(lambda: load.total > 20, 30, "load to flow")
        os.kill(victim["pid"], signal.SIGKILL)
        wait_deployment(
            owner,
            dep["id"],
            "the killed replica to come back",
            lambda d: d["ready_replicas"] == 2 and sum(i["restarts"] for i in d["instances"]) >= 1,
            60,
        )
        served = load.total
        poll(lambda: load.total > served + 20, 30, "more load after the restart")
    print(f"kill -9 under load: {load.total} requests, {len(load.failures)} failed")
    assert load.failures == [], load.failures[:5]

    # roll out v2 under load (no failed request), then roll back to v1
    v2 = upload_ready_version(owner, model["id"], "v2", shifted_model, iris_requirements)
    roll_out_and_back(owner, dep, v1, v2, (expected_v1, expected_v2), replicas=2, timeout=60, under_load=True)

    # restart the control plane: its replicas stop with it and come back by themselves
    pids = [i["pid"] for i in owner.call("GET", f"/deployments/{dep['id']}")["instances"]]
    control_plane.stop()
    poll(lambda: not any(alive(p) for p in pids), 30, "replicas to stop with the control plane")
    control_plane.start()
    assert (
        poll(
            lambda: (r := owner.http.post(predict_url, json={"data": ROWS})).status_code == 200 and r,
            60,
            "predictions after restart",
        ).json()["predictions"]
        == expected_v1
    )

    # delete: processes gone, addresses free, the URL is a 404
    final = wait_deployment(owner, dep["id"], "2 replicas after restart", lambda d: d["ready_replicas"] == 2)
    owner.call("DELETE", f"/deployments/{dep['id']}", 204)
    poll(lambda: not any(alive(i["pid"]) for i in final["instances"]), 30, "replicas to exit")
    assert all(address_free(i["address"]) for i in final["instances"])
    assert owner.http.post(predict_url, json={"data": ROWS}).status_code == 404
    owner.call("GET", f"/deployments/{dep['id']}", 404)


@SQLITE_ONLY
def test_model_crashing_at_start_ends_failed_with_reason(
    control_plane: ControlPlane, iris_model: Path, iris_requirements: Path
) -> None:
    owner, model, version = owner_with_ready_model(
        control_plane, "crash@example.com", "crashy", iris_model, iris_requirements
    )
    # The stored artifact changes after the build: every replica refuses it (sha256 mismatch).
    stored = control_plane.data_dir / "artifacts" / version["s3_path"]
    stored.write_bytes(stored.read_bytes() + b"tampered")
    dep = owner.call("POST", "/deployments", 201, json={"version_id": version["id"]})
    failed = wait_deployment(owner, dep["id"], "Failed", lambda d: d["status"] == "Failed", 120)
    assert "sha256" in (failed["error"] or ""), failed["error"]
    r = owner.http.post(dep["url"], json={"data": ROWS})
    assert r.status_code == 503 and r.headers["retry-after"]
    owner.call("DELETE", f"/models/{model['id']}", 204)  # the deployment goes with it (cascade)
    assert owner.http.post(dep["url"], json={"data": ROWS}).status_code == 404


@SQLITE_ONLY
def test_autoscaling_grows_under_load_and_shrinks_after(
    control_plane: ControlPlane, iris_model: Path, iris_requirements: Path
) -> None:
    owner, _, version = owner_with_ready_model(
        control_plane, "scale@example.com", "auto", iris_model, iris_requirements
    )
    dep = owner.call(
        "POST",
        "/deployments",
        201,
        json={"version_id": version["id"], "autoscaling": {"min": 1, "max": 3, "target_in_flight": 1}},
    )
    wait_deployment(owner, dep["id"], "Running", lambda d: d["status"] == "Running")
    batch = {"data": [[5.1, 3.5, 1.4, 0.2]] * 2000}  # heavy enough to keep requests in flight
    with LoadLoop(dep["url"], dict(owner.http.headers), batch, workers=8) as load:
        grown = wait_deployment(owner, dep["id"], "scale up", lambda d: d["desired_replicas"] >= 2, 60)
        print(f"\nautoscaler: desired {grown['desired_replicas']} under load")
    assert load.failures == [], load.failures[:5]
    wait_deployment(
        owner, dep["id"], "scale down", lambda d: d["desired_replicas"] == 1 and d["ready_replicas"] == 1, 60
    )
