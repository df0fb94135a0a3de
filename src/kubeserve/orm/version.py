from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from kubeserve.orm.base import NEVER_REUSE_IDS, Base, Timestamps


class VersionStatus(enum.StrEnum):
    PENDING = "Pending"  # created, no artifact uploaded yet
    BUILDING = "Building"
    READY = "Ready"
    FAILED = "Failed"


class ModelVersion(Base, Timestamps):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version_tag", name="uq_model_versions_model_id_version_tag"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    version_tag: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.PENDING)
    s3_path: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # The owner accepts a pickle that imports globals outside the allow-list (pickle_policy).
    allow_unsafe_pickle: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
