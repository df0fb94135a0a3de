from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kubeserve.orm.base import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


def new_token_key() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="user")  # "user" or "admin"
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Carried by every access token and checked on every request; a new value revokes them all.
    token_key: Mapped[str] = mapped_column(String(32), default=new_token_key)
    # What an admin set for this user; None: the platform default (KUBESERVE_KUBERNETES_QUOTA_*).
    quota_cpu: Mapped[str | None] = mapped_column(String(16), default=None)
    quota_memory: Mapped[str | None] = mapped_column(String(16), default=None)
    quota_pods: Mapped[int | None] = mapped_column(Integer, default=None)
