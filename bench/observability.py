"""`make bench`, part 3: wake-from-zero and what metrics + request logs cost the gateway.

The control plane runs inside this process (uvicorn on loopback), as in gateway.py.
- Wake from zero: an iris deployment with autoscaling.min 0 idles down to no replica; the
  time from sending a prediction to its good answer (the gateway holds the request while a
  replica starts from the warm interpreter pool). Target < 0.3 s.
- Cost: wrk at c=1 (p50) and c=32 (req/s) through the gateway, with the gateway's metrics and
  request log on, then off (a no-op series, the log disabled), alternating, medians of
  TRIALS. Target: < 5% on both.
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

from gateway import ROW, ready_version  # noqa: E402
from load import LoadResult, lua_script, run_wrk  # noqa: E402
from models import build  # noqa: E402
from plane import control_plane  # noqa: E402

from kubeserve.observability.series import GatewaySeries  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WAKES, TRIALS, SECONDS = 5, 3, 6


class NoSeries(GatewaySeries):
    """The gateway's series doing nothing: the 'off' side of the cost measurement."""

    def request(self, deployment: str, status: int) -> None:
        return None

    def latency(self, deployment: str, upstream: str, seconds: float) -> None:
        return None


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def wake_from_zero(app: Any, http: httpx.AsyncClient, version_id: int) -> list[float]:
    body = {"version_id": version_id, "autoscaling": {"min": 0, "max": 1, "target_in_flight": 4}}
    dep = (await http.post("/deployments", json=body)).json()
    runtime = app.state.runtime

    async def at_zero() -> bool:
        status = (await runtime.observe()).get(dep["name"])
        return status is not None and status.desired_replicas == 0 and not status.replicas

    times = []
    for _ in range(WAKES):
        await until(at_zero, 60, "the deployment to idle down to zero")
        await runtime.launcher.wait_warm(120)
        started = time.perf_counter()
        answer = await http.post(dep["url"], json=ROW)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    await http.delete(f"/deployments/{dep['id']}")
    return times


async def telemetry_cost(
    app: Any, http: httpx.AsyncClient, base: str, version_id: int, work: Path
) -> dict[str, dict[str, list[Any]]]:
    dep = (await http.post("/deployments", json={"version_id": version_id})).json()

    async def ready() -> bool:
        return app.state.runtime.upstream(dep["name"]) is not None

    await until(ready, 60, "a ready replica")
    key = (await http.post("/api-keys", json={"name": "bench"})).json()["key"]
    script = lua_script(
        work / "gw.lua", json.dumps(ROW), f"/api/v1/predict/{dep['name']}", {"X-API-Key": key}
    )
    on_series, off_series = app.state.metrics.gateway, NoSeries()
    results: dict[str, dict[str, list[Any]]] = {
        side: {"c1": [], "c32": [], "cpu_us": []} for side in ("on", "off")
    }
    for _ in range(TRIALS):
        for side in ("on", "off"):
            app.state.metrics.gateway = on_series if side == "on" else off_series
            app.state.request_log.enabled = side == "on"
            for c in (1, 32):
                cpu = time.process_time()
                result: LoadResult = await asyncio.to_thread(run_wrk, base, script, c, SECONDS)
                results[side][f"c{c}"].append(result)
                if c == 32:  # the control plane's CPU per request: robust to a busy machine
                    used = time.process_time() - cpu
                    results[side]["cpu_us"].append(used / (result.rps * SECONDS) * 1e6)
    app.state.metrics.gateway, app.state.request_log.enabled = on_series, True
    return results


def report(wakes: list[float], cost: dict[str, dict[str, list[Any]]]) -> str:
    def med(side: str, c: str, field: str) -> float:
        return statistics.median(getattr(r, field) for r in cost[side][c])

    cpu_on, cpu_off = statistics.median(cost["on"]["cpu_us"]), statistics.median(cost["off"]["cpu_us"])

    p50_on, p50_off = med("on", "c1", "p50_ms"), med("off", "c1", "p50_ms")
    rps_on, rps_off = med("on", "c32", "rps"), med("off", "c32", "rps")
    return (
        "\n".join(
            [
                f"# Observability benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})",
                "",
                f"wake from zero (request sent -> good answer, iris, warm pool): median "
                f"{statistics.median(wakes) * 1000:.0f} ms over {len(wakes)} wakes "
                f"({', '.join(f'{w * 1000:.0f}' for w in wakes)} ms); target < 300 ms",
                "",
                "| gateway metrics + request log | c=1 p50 ms | c=32 req/s |",
                "|---|---|---|",
                f"| on | {p50_on:.3f} | {rps_on:,.0f} |",
                f"| off | {p50_off:.3f} | {rps_off:,.0f} |",
                "",
                f"- cost at c=1 p50: {(p50_on / p50_off - 1):+.1%}; "
                f"at c=32 throughput: {(rps_on / rps_off - 1):+.1%} "
                f"(target: within 5%; medians of {TRIALS} alternating {SECONDS} s runs); "
                f"CPU per request {(cpu_on / cpu_off - 1):+.1%}",
            ]
        )
        + "\n"
    )


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="kubeserve-bench-obs-"))
    models = build(work / "models")
    async with control_plane(
        work / "data",
        autoscale_interval_seconds=0.1,
        scale_down_stabilization_seconds=0,
        scale_to_zero_after_seconds=0.5,
    ) as plane:
        version_id = await ready_version(plane.http, models["iris"]["path"])
        wakes = await wake_from_zero(plane.app, plane.http, version_id)
        cost = await telemetry_cost(plane.app, plane.http, plane.base, version_id, work)
    text = report(wakes, cost)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"observability-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text)
    (RESULTS / "observability-latest.md").write_text(text)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
