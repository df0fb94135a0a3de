from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, EmailStr, Field


def _nfkc(value: Any) -> Any:
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


# One account per address however it is typed: compatibility forms (fullwidth letters,
# ligatures) and case are folded before validation and uniqueness checks.
Email = Annotated[EmailStr, BeforeValidator(_nfkc), AfterValidator(str.casefold)]


class UserCreate(BaseModel):
    email: Email
    password: str = Field(min_length=8, max_length=128)


class Credentials(BaseModel):
    email: Email
    password: str = Field(max_length=128)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: str
    created_at: datetime


class QuotaRead(BaseModel):
    """What one user may use at once, all deployments together."""

    cpu: str = Field(description="CPU (requests and limits), a Kubernetes quantity")
    memory: str = Field(description="memory (requests and limits), a Kubernetes quantity")
    pods: int = Field(description="replicas running at once (on Kubernetes: pods, builds included)")


class MeRead(UserRead):
    quota: QuotaRead = Field(description="yours: what an admin set, else the platform default")
    sandboxed: bool = Field(description="user code (builds, replicas) runs in a sandbox")
    single_user: bool = Field(description="no sandbox: this install refuses a second account")
    isolation: str = Field(description="how user code is isolated here, or why it is not")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="the secret; shown only in this response")
