"""The dashboard's typed client is generated from the control plane's OpenAPI document; this
fails when either is stale (fix: `make api-client`). Operation ids are the route functions' names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kubeserve.app import create_app
from tests.dashboard.browser import ROOT, require_build

FRONTEND = ROOT / "frontend"


def test_operation_ids_are_stable_and_unique() -> None:
    operations = [op for path in create_app().openapi()["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert {"create_session", "list_models", "upload", "rollback", "predict"} <= set(ids)


def test_the_committed_client_is_current(tmp_path: Path) -> None:
    require_build()  # node_modules holds openapi-typescript
    document = subprocess.run(
        [sys.executable, str(FRONTEND / "scripts" / "openapi.py")], capture_output=True, text=True, check=True
    ).stdout
    committed = (FRONTEND / "openapi.json").read_text()
    assert json.loads(document) == json.loads(committed), (
        "frontend/openapi.json is stale: run `make api-client`"
    )
    fresh = tmp_path / "api-schema.ts"
    subprocess.run(
        [
            "npx",
            "--no-install",
            "openapi-typescript",
            "openapi.json",
            "--default-non-nullable",
            "false",
            "-o",
            str(fresh),
        ],
        cwd=FRONTEND,
        capture_output=True,
        check=True,
    )
    stale = fresh.read_text() != (FRONTEND / "src" / "lib" / "api-schema.ts").read_text()
    assert not stale, "frontend/src/lib/api-schema.ts is stale: run `make api-client`"
