from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
TAG = r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$"


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SLUG, description="lowercase letters, digits and '-', 1-63 chars")
    type: str = Field(default="sklearn", pattern=r"^(sklearn)$")
    description: str = Field(default="", max_length=2000)


class ModelUpdate(BaseModel):
    """The name is part of every artifact's key, so it cannot change."""

    model_config = ConfigDict(extra="forbid")

    type: str | None = Field(default=None, pattern=r"^(sklearn)$")
    description: str | None = Field(default=None, max_length=2000)


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: str
    description: str
    created_at: datetime
    updated_at: datetime


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_tag: str = Field(pattern=TAG, description="letters, digits, '.', '_', '-'; 1-63 chars")
    allow_unsafe_pickle: bool = Field(
        default=False,
        description="load a pickle that imports globals outside the allow-list (it runs code when "
        "loaded; in the sandbox either way): only for a pickle you wrote and trust",
    )


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    model_id: int
    version_tag: str
    status: str
    s3_path: str | None
    sha256: str | None
    size_bytes: int | None
    signature: dict[str, Any] | None
    error: str | None
    allow_unsafe_pickle: bool
    created_at: datetime
    updated_at: datetime


class UploadRule(BaseModel):
    extensions: list[str]
    max_bytes: int
