"""The Locust scenario `make load` runs (as a subprocess: never import locust elsewhere).

Each user posts one row to the deployment's URL with an API key, back to back. The shape
ramps up until the local autoscaler must add replicas, holds, then drops to a trickle so the
autoscaler brings them back down. Settings come from LOAD_* environment variables (run.py).
"""

from __future__ import annotations

import json
import os

from locust import FastHttpUser, LoadTestShape, task

PATH = os.environ.get("LOAD_PATH", "/api/v1/predict/missing")
API_KEY = os.environ.get("LOAD_API_KEY", "")
BODY = json.dumps({"data": [json.loads(os.environ.get("LOAD_ROW", "[0, 0, 0, 0]"))]})
PEAK_USERS = int(os.environ.get("LOAD_PEAK_USERS", "24"))
# (until second, users): ramp, hold at the peak, then a trickle while replicas scale down.
STAGES = [(10, PEAK_USERS // 2), (40, PEAK_USERS), (int(os.environ.get("LOAD_SECONDS", "75")), 1)]


class Predictor(FastHttpUser):
    """One client predicting as fast as the deployment answers."""

    @task
    def predict(self) -> None:
        headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
        self.client.post(PATH, data=BODY, headers=headers, name="POST /predict/{deployment}")


class RampUpAndDown(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        now = self.get_run_time()
        for until, users in STAGES:
            if now < until:
                return users, float(PEAK_USERS)
        return None
