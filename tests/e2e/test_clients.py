"""Third-party Open Inference Protocol clients, with their defaults, through the gateway to real
replicas: Triton's `tritonclient` (http and aio; binary tensors by default) and KServe's
`InferenceRESTClient(RESTConfig(protocol="v2"))`. Answers are compared with the models' own
in-process output (equal, not close)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from tests.fixtures.control_plane import Api, ControlPlane, poll
from tests.inference.models import IRIS_ROWS, houses_frame, houses_pipeline, make_houses_model

pytestmark = pytest.mark.slow
X32 = np.array(IRIS_ROWS, dtype=np.float32)
FRAME = houses_frame()


@dataclass
class Served:
    plane: ControlPlane
    token: str
    iris: dict[str, Any]  # deployment rows
    houses: dict[str, Any]
    iris_model: Any

    def host_path(self, deployment: dict[str, Any]) -> str:
        """tritonclient's url: host:port plus the gateway path, no scheme."""
        return deployment["url"].removeprefix("http://")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _deploy(api: Api, name: str, model: Path, requirements: Path | None) -> dict[str, Any]:
    created = api.call("POST", "/models", 201, json={"name": name})
    version = api.call("POST", f"/models/{created['id']}/versions", 201, json={"version_tag": "v1"})
    files: dict[str, Any] = {"model_file": ("model.joblib", model.read_bytes())}
    if requirements is not None:
        files["requirements_file"] = ("requirements.txt", requirements.read_bytes())
    api.call("POST", f"/versions/{version['id']}/upload", files=files)
    built = poll(
        lambda: (v := api.call("GET", f"/versions/{version['id']}"))["status"] != "Building" and v,
        120,
        "build",
    )
    assert built["status"] == "Ready", built["error"]
    deployment = api.call("POST", "/deployments", 201, json={"version_id": version["id"]})
    return poll(
        lambda: (d := api.call("GET", f"/deployments/{deployment['id']}"))["status"] == "Running" and d,
        90,
        f"{name} to run",
    )


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, iris_model: Path, iris_requirements: Path
) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("clients")
    shutil.copy(sqlite_template, root / "kubeserve.db")
    plane = ControlPlane(root / "data", f"sqlite+aiosqlite:///{root / 'kubeserve.db'}")
    plane.start()
    try:
        api = Api.register(plane.url, "clients@example.com")
        token = api.http.headers["Authorization"].removeprefix("Bearer ")
        iris = _deploy(api, "iris", iris_model, iris_requirements)
        houses = _deploy(api, "houses", make_houses_model(root / "houses.joblib"), None)
        yield Served(plane, token, iris, houses, joblib.load(iris_model))
    finally:
        plane.stop()


def test_tritonclient_http_defaults(served: Served) -> None:
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=served.host_path(served.iris))
    auth = served.auth  # a fresh dict each time: tritonclient adds its own headers to the one given
    assert client.is_server_live(headers=auth) and client.is_server_ready(headers=auth)
    assert client.is_model_ready("iris", headers=auth)
    meta = client.get_model_metadata("iris", headers=auth)
    assert meta["versions"] == ["v1"] and meta["inputs"][0]["shape"] == [-1, 4]

    x = httpclient.InferInput("input-0", list(X32.shape), "FP32")
    x.set_data_from_numpy(X32)  # binary by default
    result = client.infer("iris", [x], headers=served.auth)  # no outputs named: binary_data_output
    expected = served.iris_model.predict(X32.astype(np.float64))
    assert result.as_numpy("predict").tolist() == expected.tolist()
    assert result.get_response()["model_version"] == "v1"

    wanted = [httpclient.InferRequestedOutput("predict_proba"), httpclient.InferRequestedOutput("predict")]
    both = client.infer(
        "iris", [x], outputs=wanted, headers=served.auth, request_compression_algorithm="gzip"
    )
    proba = served.iris_model.predict_proba(X32.astype(np.float64))
    assert both.as_numpy("predict_proba").tolist() == proba.tolist()
    json_out = [httpclient.InferRequestedOutput("predict", binary_data=False)]
    x.set_data_from_numpy(X32, binary_data=False)
    assert client.infer("iris", [x], outputs=json_out, headers=served.auth).as_numpy("predict").tolist() == (
        expected.tolist()
    )


def test_tritonclient_errors_carry_the_reason(served: Served) -> None:
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    client = httpclient.InferenceServerClient(url=served.host_path(served.iris))
    x = httpclient.InferInput("input-0", [1, 3], "FP32")
    x.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(InferenceServerException, match="expected 4 features, got 3"):
        client.infer("iris", [x], headers=served.auth)
    with pytest.raises(InferenceServerException, match="no version '7'"):
        client.infer("iris", [x], model_version="7", headers=served.auth)
    with pytest.raises(InferenceServerException, match="send a bearer token or an API key"):
        client.infer("iris", [x])  # the gateway's own 401, readable by the client


def test_tritonclient_bytes_columns_for_a_dataframe_model(served: Served) -> None:
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=served.host_path(served.houses))
    inputs = []
    for name, datatype in (("area", "FP64"), ("city", "BYTES"), ("rooms", "INT64")):
        values = FRAME[name].to_numpy()
        values = (
            values.astype(object)
            if datatype == "BYTES"
            else values.astype(np.float64 if name == "area" else np.int64)
        )
        tensor = httpclient.InferInput(name, [len(values)], datatype)
        tensor.set_data_from_numpy(values)
        inputs.append(tensor)
    result = client.infer("houses", inputs, headers=served.auth)
    assert [b.decode() for b in result.as_numpy("predict")] == houses_pipeline().predict(FRAME).tolist()


async def test_tritonclient_aio_defaults(served: Served) -> None:
    import tritonclient.http.aio as aioclient

    client = aioclient.InferenceServerClient(url=served.host_path(served.iris))
    try:
        x = aioclient.InferInput("input-0", list(X32.shape), "FP32")
        x.set_data_from_numpy(X32)
        result = await client.infer("iris", [x], headers=served.auth)
        assert (
            result.as_numpy("predict").tolist() == served.iris_model.predict(X32.astype(np.float64)).tolist()
        )
        assert await client.is_model_ready("iris", headers=served.auth)
    finally:
        await client.close()


async def test_kserve_rest_client_v2(served: Served) -> None:
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

    client = InferenceRESTClient(RESTConfig(protocol="v2"))
    base = served.iris["url"]
    try:
        assert await client.is_server_ready(base, headers=served.auth)
        assert await client.is_model_ready(base, "iris", headers=served.auth)
        x = InferInput("input-0", list(X32.shape), "FP32")
        x.set_data_from_numpy(X32)  # binary by default
        response = await client.infer(base, InferRequest("iris", [x]), "iris", headers=served.auth)
        out = {o.name: o.as_numpy() for o in response.outputs}
        assert out["predict"].tolist() == served.iris_model.predict(X32.astype(np.float64)).tolist()

        city = InferInput("city", [len(FRAME)], "BYTES")
        city.set_data_from_numpy(FRAME["city"].to_numpy().astype(object))
        numbers = []
        for name in ("rooms", "area"):
            column = InferInput(name, [len(FRAME)], "FP64")
            column.set_data_from_numpy(FRAME[name].to_numpy().astype(np.float64))
            numbers.append(column)
        houses = served.houses["url"]
        answer = await client.infer(
            houses, InferRequest("houses", [city, *numbers]), "houses", headers=served.auth
        )
        labels = [v.decode() if isinstance(v, bytes) else v for v in answer.outputs[0].as_numpy()]
        assert labels == houses_pipeline().predict(FRAME).tolist()
    finally:
        await client.close()


def test_model_name_with_an_api_key(served: Served, tmp_path: Path) -> None:
    """`kubeserve predict iris --api-key K`: the gateway resolves the key owner's model name to
    its newest deployment; anyone else's key sees a 404, and V2 errors carry "error"."""
    import subprocess
    import sys

    import httpx

    owner = Api(served.plane.url, served.auth)
    key = owner.call("POST", "/api-keys", 201, json={"name": "cli"})["key"]
    env = {"KUBESERVE_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeserve",
            "predict",
            "iris",
            "--api-key",
            key,
            "--url",
            served.plane.url,
            "--data",
            "[[5.1, 3.5, 1.4, 0.2]]",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(served.iris_model.predict([[5.1, 3.5, 1.4, 0.2]])[0])]

    other = Api.register(served.plane.url, "other@example.com")
    stranger = other.call("POST", "/api-keys", 201, json={"name": "x"})["key"]
    r = httpx.post(
        f"{served.plane.url}/api/v1/predict/iris",
        json={"data": [[1, 2, 3, 4]]},
        headers={"X-API-Key": stranger},
    )
    assert r.status_code == 404
    v2 = httpx.get(f"{served.plane.url}/api/v1/predict/iris/v2/models/iris", headers={"X-API-Key": stranger})
    assert v2.status_code == 404 and v2.json()["error"] == "deployment not found"
