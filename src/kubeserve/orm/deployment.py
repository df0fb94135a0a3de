from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kubeserve.orm.base import NEVER_REUSE_IDS, Base, Timestamps


class Deployment(Base, Timestamps):
    """Desired state of a live endpoint; the reconciler makes the runtime match it."""

    __tablename__ = "deployments"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"), index=True)
    # The unguessable public name: /api/v1/predict/{k8s_service_name}; also the runtime's name.
    k8s_service_name: Mapped[str] = mapped_column(String(63), unique=True)
    url: Mapped[str] = mapped_column(String(1024), default="")
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    autoscaling: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="Pending")
    error: Mapped[str | None] = mapped_column(Text)
    release: Mapped[int] = mapped_column(Integer, default=1)
