"""The OpenAPI document matches the API: schemathesis over the whole spec against a live
control plane on loopback — no server error, no undocumented status, no response that breaks
its schema, 405s with the right `Allow`. Bounded: a fixed number of examples per operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.app import PASSWORD

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "unsupported_method",
        "allow_header_conformance",
    ]
)
pytestmark = pytest.mark.slow


def _token(base: str) -> str:
    with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as http:
        creds = {"email": "fuzzer@example.com", "password": PASSWORD}
        assert http.post("/auth/register", json=creds).status_code == 201
        token = str(http.post("/auth/login", json=creds).json()["access_token"])
        headers = {"Authorization": f"Bearer {token}"}
        # objects with id 1, so that positive cases reach past the 404s
        assert http.post("/models", json={"name": "fuzzed"}, headers=headers).status_code == 201
        assert http.post("/models/1/versions", json={"version_tag": "v1"}, headers=headers).status_code == 201
    return token


def test_schemathesis_finds_nothing(live_server: str, tmp_path: Path) -> None:
    token = _token(live_server)
    st = Path(sys.executable).with_name("st")
    run = subprocess.run(
        [
            str(st),
            "run",
            f"{live_server}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            "10",
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "2",
            "--seed",
            "8",
            "--request-timeout",
            "60",
            "--no-color",
            "--exclude-path",  # it revokes the token every other operation is called with
            "/api/v1/auth/logout",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/models/1", "DELETE, GET, PATCH"),
        ("PUT", "/api/v1/deployments/1", "DELETE, GET, PATCH"),
        ("GET", "/api/v1/auth/register", "POST"),  # not swallowed by the dashboard's catch-all
        ("PUT", "/api/v1/predict/some-deployment", "POST"),
        ("DELETE", "/api/v1/predict/some-deployment/v2/models/m", "GET, POST"),
    ],
)
async def test_405_lists_exactly_the_allowed_methods(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    r = await client.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow, (r.status_code, r.headers, r.text)
    assert "detail" in r.json()


async def test_every_error_status_is_documented_with_its_body(client: httpx.AsyncClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "401", "413", "415", "422", "429", "503"} <= set(login)
    detail = spec["components"]["schemas"]["ValidationErrorDetail"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in detail  # a service's 422 carries a sentence, validation a list
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith(("/ErrorDetail", "/ValidationErrorDetail")), (method, path, status)
