"""`make bench`, part 2: deploy-to-first-prediction and the cost of the gateway hop.

The control plane runs inside this process (uvicorn on loopback) so the benchmark can read
one replica's address and token and call it directly, beside the same calls made through
the gateway. Load comes from wrk in a thread; the server's event loop stays free.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import LoadResult, lua_script, run_wrk  # noqa: E402
from models import build  # noqa: E402
from plane import control_plane  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROW = {"data": [[5.1, 3.5, 1.4, 0.2]]}
TRIALS, SECONDS = 5, 8


async def ready_version(http: httpx.AsyncClient, model_path: Path) -> int:
    model = (await http.post("/models", json={"name": "iris"})).json()
    version = (await http.post(f"/models/{model['id']}/versions", json={"version_tag": "v1"})).json()
    with model_path.open("rb") as fh:
        r = await http.post(f"/versions/{version['id']}/upload", files={"model_file": ("model.joblib", fh)})
    r.raise_for_status()
    deadline = time.monotonic() + 300
    while (v := (await http.get(f"/versions/{version['id']}")).json())["status"] == "Building":
        assert time.monotonic() < deadline, "the build did not finish"
        await asyncio.sleep(0.05)
    assert v["status"] == "Ready", v["error"]
    return int(version["id"])


async def deploy_to_first_prediction(app: Any, http: httpx.AsyncClient, version_id: int) -> float:
    """Seconds from POST /deployments to the first 200 from its URL (polled every 5 ms)."""
    await app.state.reconciler.runtime.launcher.wait_warm(120)
    started = time.perf_counter()
    dep = (await http.post("/deployments", json={"version_id": version_id})).json()
    while (await http.post(dep["url"], json=ROW)).status_code != 200:
        assert time.perf_counter() - started < 60, "deployment never answered"
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await http.delete(f"/deployments/{dep['id']}")
    return elapsed


async def hop_cost(
    app: Any, http: httpx.AsyncClient, base: str, version_id: int, key: str, work: Path
) -> dict[str, dict[str, LoadResult]]:
    dep = (await http.post("/deployments", json={"version_id": version_id})).json()
    deadline = time.monotonic() + 60
    while not app.state.reconciler.runtime.endpoints(dep["name"]):
        assert time.monotonic() < deadline, "no replica became ready"
        await asyncio.sleep(0.05)
    endpoint = app.state.reconciler.runtime.endpoints(dep["name"])[0]
    direct = lua_script(
        work / "direct.lua", json.dumps(ROW), "/predict", {"X-KubeServe-Token": endpoint.token}
    )
    gateway = lua_script(
        work / "gateway.lua", json.dumps(ROW), f"/api/v1/predict/{dep['name']}", {"X-API-Key": key}
    )
    results: dict[str, dict[str, LoadResult]] = {"direct": {}, "gateway": {}}
    for connections in (1, 32):
        results["direct"][f"c{connections}"] = await asyncio.to_thread(
            run_wrk, endpoint.address, direct, connections, SECONDS
        )
        results["gateway"][f"c{connections}"] = await asyncio.to_thread(
            run_wrk, base, gateway, connections, SECONDS
        )
    return results


def report(cold: list[float], hop: dict[str, dict[str, LoadResult]]) -> str:
    d, g = hop["direct"], hop["gateway"]
    lines = [
        f"# Gateway and deploy benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})",
        "",
        f"deploy request -> first good prediction (iris, warm pool): median "
        f"{statistics.median(cold) * 1000:.0f} ms over {len(cold)} deploys "
        f"({', '.join(f'{c * 1000:.0f}' for c in cold)} ms); target < 500 ms",
        "",
        "| path | c=1 req/s | c=1 p50 ms | c=1 p99 ms | c=32 req/s | c=32 p50 ms | c=32 p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in (("replica direct", d), ("through gateway", g)):
        lines.append(
            f"| {name} | {r['c1'].rps:,.0f} | {r['c1'].p50_ms:.2f} | {r['c1'].p99_ms:.2f} | "
            f"{r['c32'].rps:,.0f} | {r['c32'].p50_ms:.2f} | {r['c32'].p99_ms:.2f} |"
        )
    hop_ms = g["c1"].p50_ms - d["c1"].p50_ms
    kept = g["c32"].rps / d["c32"].rps
    lines += [
        "",
        f"- gateway hop at c=1 p50: +{hop_ms:.2f} ms (target < 0.5 ms)",
        f"- gateway keeps {kept:.0%} of direct throughput at c=32 (target >= 70%); "
        f"c=1: {g['c1'].rps / d['c1'].rps:.0%}",
        f"- errors: direct {d['c1'].errors + d['c32'].errors}, gateway {g['c1'].errors + g['c32'].errors}",
    ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="kubeserve-bench-gw-"))
    models = build(work / "models")
    # Unsandboxed replicas listen on loopback TCP, which wrk can call directly (sandboxed ones
    # have no network: a Unix socket only); bench/sandbox.py compares the two.
    async with control_plane(work / "data", sandbox="off") as plane:
        version_id = await ready_version(plane.http, models["iris"]["path"])
        cold = [await deploy_to_first_prediction(plane.app, plane.http, version_id) for _ in range(TRIALS)]
        key = (await plane.http.post("/api-keys", json={"name": "bench"})).json()["key"]
        hop = await hop_cost(plane.app, plane.http, plane.base, version_id, key, work)
    text = report(cold, hop)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"gateway-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text)
    (RESULTS / "gateway-latest.md").write_text(text)


if __name__ == "__main__":
    import uvloop  # what `kubeserve server` runs on (uvicorn's default loop when installed)

    uvloop.run(main())
