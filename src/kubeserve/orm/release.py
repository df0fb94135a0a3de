from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kubeserve.orm.base import NEVER_REUSE_IDS, Base, Timestamps


class Release(Base, Timestamps):
    """One entry of a deployment's history: which version, and how its rollout went."""

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("deployment_id", "revision", name="uq_releases_deployment_id_revision"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="Pending")  # Pending/Active/Superseded/Failed
    reason: Mapped[str | None] = mapped_column(Text)  # what triggered it, or why it failed
