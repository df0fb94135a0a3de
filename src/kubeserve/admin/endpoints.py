"""/admin: users and their quotas. Admins only (403 otherwise); see `kubeserve admin grant`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from kubeserve.accounts.dependencies import CurrentUser
from kubeserve.admin import service
from kubeserve.admin.schemas import AdminUserRead, QuotaUpdate
from kubeserve.db import SessionDep
from kubeserve.errors import Forbidden
from kubeserve.ids import IdPath
from kubeserve.orm import User
from kubeserve.state import ReconcilerDep, SettingsDep

ADMIN = "admin"
NOT_ADMIN = (
    "admins only: an operator makes you one with `kubeserve admin grant EMAIL` where the control plane runs"
)


def require_admin(user: CurrentUser) -> User:
    if user.role != ADMIN:
        raise Forbidden(NOT_ADMIN)
    return user


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.get("/users", response_model=list[AdminUserRead])
async def list_users(session: SessionDep, settings: SettingsDep) -> Any:
    """Every user with their effective quota (what an admin set, else the platform default)
    and what their deployments hold against it."""
    return await service.list_users(session, settings)


@router.get("/users/{user_id}", response_model=AdminUserRead)
async def get_user(user_id: IdPath, session: SessionDep, settings: SettingsDep) -> Any:
    return await service.get_user(session, settings, user_id)


@router.patch("/users/{user_id}/quota", response_model=AdminUserRead)
async def set_quota(
    user_id: IdPath,
    data: QuotaUpdate,
    session: SessionDep,
    settings: SettingsDep,
    reconciler: ReconcilerDep,
) -> Any:
    """Set a user's quota: `cpu` and `memory` as Kubernetes quantities (100m-1024 CPUs,
    64Mi-16Ti), `pods` 0-1000; `null` puts one back to the default. It applies at once (on
    Kubernetes: the user's ResourceQuota); what already runs beyond it keeps running, but
    nothing more starts."""
    return await service.set_quota(session, settings, reconciler, user_id, data)


@router.delete("/users/{user_id}/quota", response_model=AdminUserRead)
async def reset_quota(
    user_id: IdPath, session: SessionDep, settings: SettingsDep, reconciler: ReconcilerDep
) -> Any:
    """Put a user's quota back to the platform default."""
    return await service.reset_quota(session, settings, reconciler, user_id)
