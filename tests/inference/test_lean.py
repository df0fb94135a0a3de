"""The model server needs only serving dependencies: none of the control plane's.

Two checks that can fail independently: what the model server actually imports when it
runs, and what the locked `model-server` dependency group (the image's install) resolves to.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

CONTROL_PLANE_ONLY = {
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "typer",
    "fastapi",
    "httpx",
    "pyjwt",
    "rich",
}
ROOT = Path(__file__).parents[2]


def test_the_model_server_imports_nothing_of_the_control_plane() -> None:
    modules = ["kubeserve.inference.cli", "kubeserve.inference.server", "kubeserve.inference.artifact"]
    forbidden = sorted(CONTROL_PLANE_ONLY - {"pyjwt"} | {"jwt", "kubeserve.config", "kubeserve.db"})
    script = (
        "import sys\n"
        f"for m in {modules!r}: __import__(m)\n"
        "from kubeserve.inference import artifact, server, startup, rest, v2, installer  # noqa\n"
        # the build step runs with the same image (a pod on Kubernetes), lazy imports included
        "from kubeserve.inference import inspect, pickle_scan, pickle_policy, shipped  # noqa\n"
        "from kubeserve.inference import model, signature, requirements  # noqa\n"
        f"print(sorted(m for m in {forbidden!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_locked_model_server_group_holds_no_control_plane_package() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    group = packages["kubeserve"]["dev-dependencies"]["model-server"]
    seen: set[str] = set()
    todo = [(d["name"], tuple(d.get("extra", ()))) for d in group]
    while todo:
        name, extras = todo.pop()
        if name in seen and not extras:
            continue
        seen.add(name)
        package = packages[name]
        deps = list(package.get("dependencies", []))
        for extra in extras:
            deps += package.get("optional-dependencies", {}).get(extra, [])
        todo += [(d["name"], tuple(d.get("extra", ()))) for d in deps if d["name"] not in seen]
    assert {"scikit-learn", "uvicorn", "minio", "orjson", "prometheus-client"} <= seen
    assert seen & CONTROL_PLANE_ONLY == set()
