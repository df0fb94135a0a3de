"""Shipped code at the API: a notebook's `__main__` class fails the build with a reason saying how
to ship it; the same version uploaded again with `code_file` builds Ready."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version, upload, wait_built


@pytest.mark.slow
# Two sandboxed builds; the database does not matter to them (test_build.py runs on both): SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_notebook_class_needs_its_code_shipped(
    client: httpx.AsyncClient, user_headers: Headers, tmp_path: Path, settings: Settings
) -> None:
    """`__main__.Doubler`: Failed with a reason saying how to ship it; a re-upload with the
    .py file is Ready, and its code.zip sits beside the model."""
    from tests.inference.models import make_notebook_model

    model, code, _ = make_notebook_model(tmp_path)
    m = await create_model(client, user_headers, "notebook")
    v = await create_version(client, user_headers, m["id"], "v1")
    assert (await upload(client, user_headers, v["id"], model)).status_code == 200
    failed = await wait_built(client, user_headers, v["id"], 120)
    assert (
        failed["status"] == "Failed" and "__main__.Doubler" in failed["error"] and "--code" in failed["error"]
    )
    bad = await upload(client, user_headers, failed["id"], model, code=tmp_path / "out.json")
    assert bad.status_code == 415 and "code_file" in bad.json()["detail"]
    r = await upload(client, user_headers, failed["id"], model, code=code)
    assert r.status_code == 200, r.text
    ready = await wait_built(client, user_headers, failed["id"], 120)
    assert ready["status"] == "Ready", ready["error"]
    assert ready["signature"]["code"] == {"modules": ["transformers"]}
    stored = settings.artifacts_dir / ready["s3_path"].rsplit("/", 1)[0] / "code.zip"
    assert stored.is_file()
