from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kubeserve.orm.base import NEVER_REUSE_IDS, Base, Timestamps


class Model(Base, Timestamps):
    """An ML model: a named line of versions owned by one user."""

    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_models_user_id_name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(32), default="sklearn")
    description: Mapped[str] = mapped_column(Text, default="")
