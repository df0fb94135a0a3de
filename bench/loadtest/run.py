"""`make load`: a Locust ramp against a deployment this script creates, on its own control plane.

Starts `kubeserve server` on loopback with a fresh data dir, uploads a 200-tree random forest,
deploys it with autoscaling (min 1, max 4), runs locustfile.py headless as a subprocess,
samples the replica count every second throughout, and prints req/s, p50, p99, failures and
the replicas over time. Locust's HTML and CSV reports go to bench/results/locust/.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results" / "locust"
PEAK_USERS, SECONDS = 24, 75
AUTOSCALING = {"min": 1, "max": 4, "target_in_flight": 2}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_control_plane(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESERVE_")}
    env.update(
        KUBESERVE_DATA_DIR=str(data_dir),
        KUBESERVE_PORT=str(port),
        KUBESERVE_AUTOSCALE_INTERVAL_SECONDS="0.5",
        KUBESERVE_SCALE_DOWN_STABILIZATION_SECONDS="10",
        KUBESERVE_WARM_POOL_SIZE="2",
    )
    log = (data_dir.parent / "control-plane.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "kubeserve", "server"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def forest(work: Path) -> tuple[Path, list[float]]:
    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    x, y = make_classification(n_samples=4000, n_features=20, n_informative=10, random_state=0)
    path = work / "model.joblib"
    joblib.dump(RandomForestClassifier(n_estimators=200, max_depth=12, random_state=0).fit(x, y), path)
    return path, [round(float(v), 4) for v in x[0]]


def deploy(url: str, work: Path) -> tuple[Any, dict[str, Any], str, list[float]]:
    from kubeserve.client import Client

    client = Client(url)
    deadline = time.monotonic() + 60
    while True:
        try:
            client.health()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    client.register("load@example.com", "correct horse battery")
    client.login("load@example.com", "correct horse battery")
    model_path, row = forest(work)
    model = client.create_model("forest")
    version = client.create_version(model["id"], "v1")
    client.upload(version["id"], model_path)
    client.wait_for_version(version["id"], timeout=300)
    key = client.create_api_key("locust")["key"]
    deployment = client.create_deployment(version["id"], autoscaling=AUTOSCALING)
    client.wait_for_deployment(deployment["id"], timeout=120)
    return client, deployment, key, row


class ReplicaSampler(threading.Thread):
    """(seconds since start, ready replicas, desired replicas), once a second."""

    def __init__(self, client: Any, deployment_id: int) -> None:
        super().__init__(daemon=True)
        self.client, self.deployment_id = client, deployment_id
        self.samples: list[tuple[float, int, int]] = []
        self.stopping = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            d = self.client.get_deployment(self.deployment_id)
            self.samples.append(
                (time.monotonic() - self.started_at, d["ready_replicas"], d["desired_replicas"])
            )

    def latest(self) -> int:
        return self.samples[-1][2] if self.samples else 0


def run_locust(url: str, deployment: dict[str, Any], key: str, row: list[float], prefix: Path) -> None:
    env = {
        **os.environ,
        "LOAD_PATH": deployment["url"].removeprefix(url),
        "LOAD_API_KEY": key,
        "LOAD_ROW": json.dumps(row),
        "LOAD_PEAK_USERS": str(PEAK_USERS),
        "LOAD_SECONDS": str(SECONDS),
    }
    locust = Path(sys.executable).parent / "locust"
    subprocess.run(
        [
            str(locust),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--csv-full-history",
            "--html",
            f"{prefix}.html",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=True,
        timeout=SECONDS + 120,
    )


def summary(prefix: Path) -> dict[str, float]:
    with Path(f"{prefix}_stats.csv").open() as fh:
        total = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    return {
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "req_per_s": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
    }


def replica_timeline(samples: list[tuple[float, int, int]]) -> list[str]:
    """One line per change of the desired or ready count."""
    lines, last = [], None
    for t, ready, desired in samples:
        if (ready, desired) != last:
            lines.append(f"  t={t:5.1f}s  ready {ready}  desired {desired}")
            last = (ready, desired)
    return lines


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    prefix = RESULTS / f"locust-{stamp}"
    with tempfile.TemporaryDirectory(prefix="kubeserve-load-") as tmp:
        work, port = Path(tmp), free_port()
        (work / "data").mkdir()
        url = f"http://127.0.0.1:{port}"
        server = start_control_plane(work / "data", port)
        try:
            client, deployment, key, row = deploy(url, work)
            sampler = ReplicaSampler(client, deployment["id"])
            sampler.start()
            run_locust(url, deployment, key, row, prefix)
            deadline = time.monotonic() + 60  # let the autoscaler finish coming down
            while sampler.latest() > AUTOSCALING["min"] and time.monotonic() < deadline:
                time.sleep(1)
            sampler.stopping.set()
            sampler.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    figures = summary(prefix)
    timeline = replica_timeline(sampler.samples)
    peak = max(d for _, _, d in sampler.samples)
    report = [
        f"Locust: {PEAK_USERS} users peak, {SECONDS} s, autoscaling {AUTOSCALING}",
        f"requests {figures['requests']:.0f}  failures {figures['failures']:.0f}  "
        f"req/s {figures['req_per_s']:.1f}  p50 {figures['p50_ms']:.0f} ms  p99 {figures['p99_ms']:.0f} ms",
        f"replicas: peak {peak} desired, back to {sampler.latest()} at the end; over time:",
        *timeline,
        f"reports: {prefix}.html, {prefix}_stats.csv, {prefix}_stats_history.csv",
    ]
    print("\n".join(report))
    Path(f"{prefix}-summary.txt").write_text("\n".join(report) + "\n")
    return 0 if figures["requests"] > 0 and peak > AUTOSCALING["min"] else 1


if __name__ == "__main__":
    sys.exit(main())
