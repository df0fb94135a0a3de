"""`make bench`, part 3: another tenant's prediction latency during a login flood.

A real control plane (`python -m kubeserve server`, a child process) serves one tenant's
iris deployment. wrk measures that tenant's predictions through the gateway (c=1, p50),
first alone, then while a second wrk floods /auth/login with failed logins, a new email
every request. The per-address cap is lifted for the run, as if the flood came from many
addresses: every flood request pays for an argon2 verification, the worst case.
Reported as a ratio of the two p50s measured in this same run (aim: within 2x).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import LoadResult, lua_script, run_wrk  # noqa: E402
from models import build  # noqa: E402
from servers import free_port  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROW = {"data": [[5.1, 3.5, 1.4, 0.2]]}
SECONDS, FLOOD_CONNECTIONS = 8, 8

FLOOD_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email": "flood-%d-%d@example.com", "password": "wrong-password"}',
                             math.random(1, 1000000000), n)
  return wrk.format(nil, "/api/v1/auth/login", nil, body)
end
"""


def start_control_plane(work: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESERVE_")}
    env.update(
        KUBESERVE_DATA_DIR=str(work / "data"),
        KUBESERVE_PORT=str(port),
        KUBESERVE_LOGIN_ADDRESS_MAX_FAILURES="1000000000",
    )
    log = (work / "control-plane.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubeserve", "server"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "the control plane did not start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)


def deploy_iris(base: str, model: Path) -> tuple[str, str]:
    """A tenant with a running iris deployment; returns its URL path and an API key."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as http:
        creds = {"email": "tenant@example.com", "password": "benchmark-password"}
        http.post("/auth/register", json=creds).raise_for_status()
        token = http.post("/auth/login", json=creds).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        created = http.post("/models", json={"name": "iris"}).json()
        version = http.post(f"/models/{created['id']}/versions", json={"version_tag": "v1"}).json()
        with model.open("rb") as fh:
            http.post(f"/versions/{version['id']}/upload", files={"model_file": ("model.joblib", fh)})
        deadline = time.monotonic() + 300
        while (v := http.get(f"/versions/{version['id']}").json())["status"] == "Building":
            assert time.monotonic() < deadline, "the build did not finish"
            time.sleep(0.1)
        assert v["status"] == "Ready", v["error"]
        dep = http.post("/deployments", json={"version_id": version["id"]}).json()
        while http.post(dep["url"], json=ROW).status_code != 200:
            assert time.monotonic() < deadline, "the deployment never answered"
            time.sleep(0.05)
        key = http.post("/api-keys", json={"name": "bench"}).json()["key"]
    return f"/api/v1/predict/{dep['name']}", key


def measure(base: str, path: str, key: str, work: Path) -> tuple[LoadResult, LoadResult, LoadResult]:
    """Predictions alone; predictions during the flood; the flood itself."""
    predict = lua_script(work / "predict.lua", json.dumps(ROW), path, {"X-API-Key": key})
    flood_script = work / "flood.lua"
    flood_script.write_text(FLOOD_LUA)
    run_wrk(base, predict, 1, 2)  # warm-up
    alone = run_wrk(base, predict, 1, SECONDS)
    flood: list[LoadResult] = []
    flooding = threading.Thread(
        target=lambda: flood.append(run_wrk(base, flood_script, FLOOD_CONNECTIONS, SECONDS + 4))
    )
    flooding.start()
    time.sleep(2)  # the flood is at full strength before the measurement starts
    during = run_wrk(base, predict, 1, SECONDS)
    flooding.join()
    return alone, during, flood[0]


def report(alone: LoadResult, during: LoadResult, flood: LoadResult) -> str:
    ratio = during.p50_ms / alone.p50_ms
    lines = [
        f"# Login flood benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})",
        "",
        "Another tenant's iris predictions through the gateway (wrk c=1), alone and while "
        f"{FLOOD_CONNECTIONS} connections flood /auth/login with failed logins (a new email each, "
        "per-address cap lifted: every try hashes).",
        "",
        "| predictions | req/s | p50 ms | p99 ms | non-2xx/errors |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} |"
            for name, r in (("alone", alone), ("during the flood", during))
        ),
        "",
        f"- p50 during the flood / p50 alone: **{ratio:.2f}x** (aim: within 2x)",
        f"- the flood: {flood.rps:,.1f} logins/s answered (401, or 503 when the hash queue is full), "
        f"p50 {flood.p50_ms:.0f} ms",
        f"- load average: {os.getloadavg()[0]:.2f}",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="kubeserve-bench-flood-"))
    models = build(work / "models")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_control_plane(work, port)
    try:
        path, key = deploy_iris(base, models["iris"]["path"])
        alone, during, flood = measure(base, path, key, work)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = report(alone, during, flood)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"login-flood-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text)
    (RESULTS / "login-flood-latest.md").write_text(text)


if __name__ == "__main__":
    main()
