"""`make bench`, part 3: what the sandbox costs users, measured against no sandbox in one run.

The control plane runs in this process twice on the same model: replicas sandboxed
(bubblewrap, Unix socket; the default where it can run) and unsandboxed (KUBESERVE_SANDBOX=off,
loopback TCP). For each: deploy request -> first good prediction (warm pool, median of
TRIALS), then prediction latency and throughput through the gateway with wrk (c=1, c=32).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway import ROW, TRIALS, deploy_to_first_prediction, ready_version  # noqa: E402
from load import LoadResult, lua_script, run_wrk  # noqa: E402
from models import build  # noqa: E402
from plane import control_plane  # noqa: E402

from kubeserve.runtime import sandbox  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SECONDS = 8


async def measure(mode: str, model_path: Path, work: Path) -> dict[str, Any]:
    async with control_plane(work / f"data-{mode}", sandbox=mode) as plane:
        http, base = plane.http, plane.base
        version_id = await ready_version(http, model_path)
        cold = [await deploy_to_first_prediction(plane.app, http, version_id) for _ in range(TRIALS)]
        key = (await http.post("/api-keys", json={"name": "bench"})).json()["key"]
        dep = (await http.post("/deployments", json={"version_id": version_id})).json()
        deadline = time.monotonic() + 120
        while (await http.post(dep["url"], json=ROW)).status_code != 200:
            assert time.monotonic() < deadline, "deployment never answered"
            await asyncio.sleep(0.05)
        script = lua_script(
            work / f"{mode}.lua", json.dumps(ROW), f"/api/v1/predict/{dep['name']}", {"X-API-Key": key}
        )
        load = {f"c{c}": await asyncio.to_thread(run_wrk, base, script, c, SECONDS) for c in (1, 32)}
    return {"cold": cold, **load}


def report(results: dict[str, dict[str, Any]]) -> str:
    on, off = results["auto"], results["off"]
    lines = [
        f"# Sandbox benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})",
        "",
        f"sandbox: {sandbox.support().reason}",
        "",
        "| replicas | deploy -> first prediction (median) | c=1 p50 ms | c=1 req/s | c=32 req/s "
        "| c=32 p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in (("sandboxed (bubblewrap, Unix socket)", on), ("no sandbox (loopback TCP)", off)):
        c1, c32 = r["c1"], r["c32"]
        assert isinstance(c1, LoadResult) and isinstance(c32, LoadResult)
        lines.append(
            f"| {name} | {statistics.median(r['cold']) * 1000:.0f} ms "
            f"({', '.join(f'{c * 1000:.0f}' for c in r['cold'])}) | {c1.p50_ms:.2f} | {c1.rps:,.0f} | "
            f"{c32.rps:,.0f} | {c32.p99_ms:.2f} |"
        )
    lines += [
        "",
        f"- deploy -> first prediction: sandboxed / unsandboxed = "
        f"{statistics.median(on['cold']) / statistics.median(off['cold']):.2f}x",
        f"- c=1 p50: {on['c1'].p50_ms / off['c1'].p50_ms:.2f}x; c=32 throughput kept: "
        f"{on['c32'].rps / off['c32'].rps:.0%}",
        f"- errors: sandboxed {on['c1'].errors + on['c32'].errors}, "
        f"unsandboxed {off['c1'].errors + off['c32'].errors}",
    ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    if not sandbox.support().available:
        print(f"sandbox benchmark skipped: {sandbox.support().reason}")
        return
    work = Path(tempfile.mkdtemp(prefix="kubeserve-bench-sandbox-"))
    model = build(work / "models")["iris"]["path"]
    results = {mode: await measure(mode, model, work) for mode in ("off", "auto")}
    text = report(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"sandbox-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text)
    (RESULTS / "sandbox-latest.md").write_text(text)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
