"""A real Prometheus (Debian's package) on loopback, fed by the control plane's discovery."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.control_plane import free_port, poll

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kubeserve
    authorization:
      type: Bearer
      credentials_file: {token_file}
    http_sd_configs:
      - url: {control_plane}/metrics/targets
        refresh_interval: 1s
        authorization:
          type: Bearer
          credentials_file: {token_file}
"""


class Prometheus:
    """`prometheus` with the scrape config above; `query` runs PromQL on its HTTP API."""

    def __init__(self, work: Path, control_plane: str, token: str) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is missing: apt-get install prometheus (.ci/run does)"
        work.mkdir(parents=True, exist_ok=True)
        token_file = work / "scrape-token"
        token_file.write_text(token)
        config = work / "prometheus.yml"
        config.write_text(CONFIG.format(token_file=token_file, control_plane=control_plane))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = work / "prometheus.log"
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        poll(self._ready, 60, "Prometheus to start")

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector (raises on a PromQL error)."""
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr, "time": time.time()}, timeout=10)
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def __str__(self) -> str:
        """What Prometheus thinks of its targets (for failure messages)."""
        found = "; ".join(f"{t['scrapeUrl']} {t['health']} {t['lastError']}" for t in self.targets())
        return f"targets: {found or 'none'}\nlog: {self.log.read_text()[-2000:]}"

    def targets(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v1/targets", params={"state": "active"}, timeout=10)
        active: list[dict[str, Any]] = r.json()["data"]["activeTargets"]
        return active

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
