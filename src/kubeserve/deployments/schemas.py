from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from kubeserve.ids import IdField
from kubeserve.observability.schemas import RequestLogEntry

MAX_REPLICAS = 10


class AutoscalingSpec(BaseModel):
    """Replicas move between min and max to keep requests in flight per replica near target."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    min: int = Field(default=1, ge=0, le=MAX_REPLICAS, description="0: scale to zero when idle")
    max: int = Field(default=3, ge=1, le=MAX_REPLICAS)
    target_in_flight: float = Field(
        default=4.0, gt=0, le=1000, validation_alias=AliasChoices("target_in_flight", "target")
    )

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSpec:
        if self.min > self.max:
            raise ValueError("autoscaling.min must not exceed autoscaling.max")
        return self


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_id: IdField
    replicas: int = Field(default=1, ge=0, le=MAX_REPLICAS, description="0 parks the deployment")
    autoscaling: AutoscalingSpec | None = None
    public: bool = False


class DeploymentUpdate(BaseModel):
    """`version_id` rolls out a new release; `replicas` scales; `public` opens or closes it;
    `autoscaling` turns autoscaling on (an object) or off (`null`, with `replicas`)."""

    model_config = ConfigDict(extra="forbid")

    version_id: IdField | None = None
    replicas: int | None = Field(default=None, ge=0, le=MAX_REPLICAS, description="0 parks it")
    autoscaling: AutoscalingSpec | None = None
    public: bool | None = None


class DeploymentRead(BaseModel):
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
    status: str
    error: str | None
    ready_replicas: int = 0
    desired_replicas: int = 0
    instances: list[dict[str, Any]] = Field(
        default_factory=list, description="live replicas: pid, port, state, restarts"
    )
    created_at: datetime
    updated_at: datetime


class ReleaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    revision: int
    version_id: int
    status: str
    reason: str | None
    created_at: datetime


class LogsRead(BaseModel):
    lines: list[str] = Field(description="what the replicas printed, each line prefixed by its replica")
    requests: list[RequestLogEntry] = Field(
        default_factory=list, description="one entry per prediction, oldest first (after `since` if given)"
    )
    cursor: int = Field(default=0, description="pass as `since` to get only newer requests (--follow)")
