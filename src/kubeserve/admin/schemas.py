from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kubeserve.accounts import quota
from kubeserve.accounts.schemas import QuotaRead

Cpu = Annotated[
    str, Field(min_length=1, max_length=16, examples=["4", "500m"]), AfterValidator(quota.check_cpu)
]
Memory = Annotated[
    str, Field(min_length=1, max_length=16, examples=["8Gi", "512Mi"]), AfterValidator(quota.check_memory)
]
Pods = Annotated[int, Field(ge=0, le=quota.MAX_PODS, description="0: no replicas at all")]


class QuotaSet(BaseModel):
    """What an admin set; null: the platform default."""

    cpu: str | None
    memory: str | None
    pods: int | None


class QuotaUpdate(BaseModel):
    """Fields given are set; `null` puts that field back to the platform default."""

    model_config = ConfigDict(extra="forbid")

    cpu: Cpu | None = None
    memory: Memory | None = None
    pods: Pods | None = None


class UsageRead(BaseModel):
    deployments: int
    replicas: int = Field(description="the most replicas the user's deployments may run at once")


class AdminUserRead(BaseModel):
    id: int
    email: str
    role: str
    created_at: datetime
    quota: QuotaRead = Field(description="effective: what the admin set, else the platform default")
    custom_quota: QuotaSet
    usage: UsageRead
