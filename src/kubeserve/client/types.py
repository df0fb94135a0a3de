"""What the control plane answers, as `TypedDict`s: the JSON exactly as the server sent it.

These mirror the server's response models (e.g. `observability.schemas.RequestLogEntry`) on
purpose: the client ships without the server's code and dependencies, so it must not import
them. tests/cli/test_client_types.py holds each one to the OpenAPI document's fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

Progress = Callable[[int, int], None]
"""Upload progress callback: `(bytes_sent, bytes_total)`."""


class User(TypedDict):
    id: int
    email: str
    role: str
    created_at: str


class Quota(TypedDict):
    cpu: str  # a Kubernetes quantity: "2", "500m"
    memory: str  # "4Gi"
    pods: int


class QuotaSet(TypedDict):
    """What an admin set; None: the platform default."""

    cpu: str | None
    memory: str | None
    pods: int | None


class Usage(TypedDict):
    deployments: int
    replicas: int  # the most replicas the user's deployments may run at once


class AdminUser(User):
    quota: Quota  # effective
    custom_quota: QuotaSet
    usage: Usage


class Token(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


class ApiKey(TypedDict, total=False):
    id: int
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None
    key: str  # only in the answer to `create_api_key`


class Model(TypedDict):
    id: int
    name: str
    type: str
    description: str
    created_at: str
    updated_at: str


class Version(TypedDict):
    id: int
    model_id: int
    version_tag: str
    status: str  # Pending, Building, Ready, Failed
    s3_path: str | None
    sha256: str | None
    allow_unsafe_pickle: bool
    size_bytes: int | None
    signature: dict[str, Any] | None
    error: str | None
    created_at: str
    updated_at: str


class Deployment(TypedDict):
    id: int
    name: str
    url: str
    model_id: int
    model_name: str
    version_id: int
    version_tag: str
    release: int
    replicas: int
    autoscaling: dict[str, Any] | None
    public: bool
    status: str  # Pending, Starting, Running, Failed
    error: str | None
    ready_replicas: int
    desired_replicas: int
    instances: list[dict[str, Any]]
    created_at: str
    updated_at: str


class Release(TypedDict):
    id: int
    revision: int
    version_id: int
    status: str  # Pending, Active, Superseded, Failed
    reason: str | None
    created_at: str


class RequestLogEntry(TypedDict):
    """One prediction request: never its payload."""

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
    caller: str


class RequestLogPage(TypedDict):
    requests: list[RequestLogEntry]
    cursor: int


class Stats(TypedDict):
    """`GET /deployments/{id}/stats`; latency in milliseconds, `rate` in requests per second."""

    deployment: str
    window_seconds: float
    requests: int
    rate: float
    errors: int
    client_errors: int
    server_errors: int
    latency_ms: dict[str, float | None]
    ready_replicas: int
    desired_replicas: int
    replicas: list[dict[str, Any]]
    points: list[dict[str, Any]]
    sampled_at: str | None
