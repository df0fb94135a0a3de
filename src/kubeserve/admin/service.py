"""Admin rules: every user with their quota and usage; set or reset one user's quota.

A change is committed, then the reconciler asks the runtime to apply the user's quota at once
(Kubernetes: their ResourceQuota), whether or not their deployments change.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.accounts import quota
from kubeserve.accounts.repository import UserRepository
from kubeserve.admin.schemas import AdminUserRead, QuotaRead, QuotaSet, QuotaUpdate, UsageRead
from kubeserve.config import Settings
from kubeserve.db import after_commit
from kubeserve.deployments.reconciler import Reconciler
from kubeserve.deployments.repository import DeploymentRepository, Usage
from kubeserve.errors import NotFound
from kubeserve.orm import User


def read(user: User, settings: Settings, usage: Usage) -> AdminUserRead:
    effective = quota.effective(user, settings)
    return AdminUserRead(
        id=user.id,
        email=user.email,
        role=user.role,
        created_at=user.created_at,
        quota=QuotaRead(**asdict(effective)),
        custom_quota=QuotaSet(cpu=user.quota_cpu, memory=user.quota_memory, pods=user.quota_pods),
        usage=UsageRead(deployments=usage.deployments, replicas=usage.replicas),
    )


async def list_users(session: AsyncSession, settings: Settings) -> list[AdminUserRead]:
    users = await UserRepository(session).list(UserRepository(session).select().order_by(User.id))
    usage = await DeploymentRepository(session).usage()
    return [read(u, settings, usage.get(u.id, Usage())) for u in users]


async def get_user(session: AsyncSession, settings: Settings, user_id: int) -> AdminUserRead:
    return await _read(session, settings, await _user(session, user_id))


async def set_quota(
    session: AsyncSession, settings: Settings, reconciler: Reconciler, user_id: int, data: QuotaUpdate
) -> AdminUserRead:
    """Set the fields given (validated and bounded by the schema); `null` resets one."""
    user = await _user(session, user_id)
    for field in data.model_fields_set:
        setattr(user, f"quota_{field}", getattr(data, field))
    return await _changed(session, settings, reconciler, user)


async def reset_quota(
    session: AsyncSession, settings: Settings, reconciler: Reconciler, user_id: int
) -> AdminUserRead:
    user = await _user(session, user_id)
    user.quota_cpu = user.quota_memory = user.quota_pods = None
    return await _changed(session, settings, reconciler, user)


async def _changed(
    session: AsyncSession, settings: Settings, reconciler: Reconciler, user: User
) -> AdminUserRead:
    await session.flush()
    owner, effective = user.id, quota.effective(user, settings)
    after_commit(session, lambda: reconciler.apply_quota(owner, effective))
    return await _read(session, settings, user)


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await UserRepository(session).get_by_id(user_id)
    if user is None:
        raise NotFound("user not found")
    return user


async def _read(session: AsyncSession, settings: Settings, user: User) -> AdminUserRead:
    usage = await DeploymentRepository(session).usage(user.id)
    return read(user, settings, usage.get(user.id, Usage()))
