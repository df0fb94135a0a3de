"""What the stats and request-log routes answer."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field

from kubeserve.errors import Unprocessable

WINDOW = re.compile(r"^(\d{1,6})([smh])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def window_seconds(window: str, longest: float) -> float:
    """`30s`, `5m`, `1h` -> seconds; 422 beyond what the control plane keeps."""
    match = WINDOW.match(window)
    if match is None:
        raise Unprocessable(f"window {window!r}: use a number and s, m or h, e.g. 30s, 5m, 1h")
    seconds = int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if not 0 < seconds <= longest:
        raise Unprocessable(f"window {window!r}: between 1s and {int(longest)}s (what is kept)")
    return float(seconds)


class Latency(BaseModel):
    p50: float | None = Field(description="milliseconds; null without requests")
    p95: float | None
    p99: float | None


class ReplicaUsage(BaseModel):
    replica: str
    release: int
    requests: int
    cpu_cores: float = Field(description="average CPU use over the window, in cores (1.0 = one core)")
    memory_bytes: int = Field(description="resident memory at the latest sample")


class StatsPoint(BaseModel):
    """One step of the window, for charts."""

    time: datetime
    requests: int
    errors: int
    p95_ms: float | None


class StatsRead(BaseModel):
    deployment: str
    window_seconds: float
    requests: int
    rate: float = Field(description="requests per second over the window")
    errors: int = Field(description="requests answered with an error (client_errors + server_errors)")
    client_errors: int
    server_errors: int
    latency_ms: Latency
    ready_replicas: int
    desired_replicas: int
    replicas: list[ReplicaUsage]
    points: list[StatsPoint]
    sampled_at: datetime | None = Field(description="when the replicas' metrics were last read")


class RequestLogEntry(BaseModel):
    """One prediction request (the payload is never logged)."""

    cursor: int
    time: str
    deployment: str
    release: int | None
    replica: str | None
    method: str
    path: str
    status: int
    latency_ms: float
    rows: int
    caller: str = Field(description="owner (a login token), api_key, public (no credential), or none")
