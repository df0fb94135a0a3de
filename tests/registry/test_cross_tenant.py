"""User B tries every method on each of user A's objects: all 404, nothing changed."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.registry.helpers import create_model, create_version, upload


async def test_other_users_objects_are_404_for_every_method(
    client: httpx.AsyncClient,
    make_user,
    iris_model: Path,  # type: ignore[no-untyped-def]
) -> None:
    a, b = await make_user(), await make_user()
    model = await create_model(client, a, "secret")
    version = await create_version(client, a, model["id"], "v1")
    await upload(client, a, version["id"], iris_model)
    before_model = (await client.get(f"/api/v1/models/{model['id']}", headers=a)).json()
    before_version = (await client.get(f"/api/v1/versions/{version['id']}", headers=a)).json()

    m, v = model["id"], version["id"]
    attempts = [
        ("GET", f"/api/v1/models/{m}", None),
        ("PATCH", f"/api/v1/models/{m}", {"description": "pwned"}),
        ("DELETE", f"/api/v1/models/{m}", None),
        ("GET", f"/api/v1/models/{m}/versions", None),
        ("POST", f"/api/v1/models/{m}/versions", {"version_tag": "evil"}),
        ("GET", f"/api/v1/versions/{v}", None),
        ("DELETE", f"/api/v1/versions/{v}", None),
        ("GET", f"/api/v1/versions/{v}/artifact", None),
    ]
    for method, url, body in attempts:
        r = await client.request(method, url, json=body, headers=b)
        assert r.status_code == 404, (method, url, r.status_code)
        assert "secret" not in r.text and "sha256" not in r.text
    r = await upload(client, b, v, iris_model)
    assert r.status_code == 404
    assert (await client.get("/api/v1/models", headers=b)).json() == []

    assert (await client.get(f"/api/v1/models/{m}", headers=a)).json() == before_model
    after_version = (await client.get(f"/api/v1/versions/{v}", headers=a)).json()
    assert {k: after_version[k] for k in ("sha256", "s3_path", "size_bytes")} == {
        k: before_version[k] for k in ("sha256", "s3_path", "size_bytes")
    }
    versions = (await client.get(f"/api/v1/models/{m}/versions", headers=a)).json()
    assert [x["version_tag"] for x in versions] == ["v1"]
