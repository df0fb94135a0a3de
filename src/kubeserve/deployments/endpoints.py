"""/deployments, releases, rollback, logs, and the prediction gateway /predict/{name}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.accounts.dependencies import CurrentUser
from kubeserve.db import SessionDep, after_commit
from kubeserve.deployments import service
from kubeserve.deployments.gateway import Gateway
from kubeserve.deployments.schemas import (
    DeploymentCreate,
    DeploymentRead,
    DeploymentUpdate,
    LogsRead,
    ReleaseRead,
)
from kubeserve.ids import IdPath
from kubeserve.observability.schemas import StatsRead, window_seconds
from kubeserve.state import GatewayDep, ReconcilerDep, RequestLogDep, SamplerDep, SettingsDep

router = APIRouter(tags=["deployments"])


@router.post("/deployments", response_model=DeploymentRead, status_code=status.HTTP_201_CREATED)
async def create_deployment(
    data: DeploymentCreate,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    reconciler: ReconcilerDep,
) -> Any:
    """Deploy a Ready version. Returns at once (`Pending`); poll until `Running`.

    403 when its replicas (autoscaled: its max) would exceed your pods quota, counted over
    all your deployments (`GET /me` shows your quota)."""
    row = await service.create(session, settings, reconciler, user, data)
    return await service.read(reconciler, row)


@router.get("/deployments", response_model=list[DeploymentRead])
async def list_deployments(session: SessionDep, user: CurrentUser, reconciler: ReconcilerDep) -> Any:
    return [await service.read(reconciler, row) for row in await service.list_for_user(session, user)]


@router.get("/deployments/{deployment_id}", response_model=DeploymentRead)
async def get_deployment(
    deployment_id: IdPath, session: SessionDep, user: CurrentUser, reconciler: ReconcilerDep
) -> Any:
    return await service.read(reconciler, await service.get(session, user, deployment_id))


@router.patch("/deployments/{deployment_id}", response_model=DeploymentRead)
async def update_deployment(
    deployment_id: IdPath,
    data: DeploymentUpdate,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    reconciler: ReconcilerDep,
    gateway: GatewayDep,
) -> Any:
    """`replicas` scales; `version_id` rolls out a new release with zero downtime.

    403 when more replicas would exceed your pods quota (all your deployments together)."""
    row = await service.update(session, settings, reconciler, user, deployment_id, data)
    _forget_after_commit(session, gateway, row.deployment.k8s_service_name)
    return await service.read(reconciler, row)


@router.delete("/deployments/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_deployment(
    deployment_id: IdPath,
    session: SessionDep,
    user: CurrentUser,
    reconciler: ReconcilerDep,
    gateway: GatewayDep,
    request_log: RequestLogDep,
) -> Response:
    """Stop every replica and remove the deployment (and its request log); its URL answers
    404 afterwards."""
    name = await service.delete(session, reconciler, user, deployment_id)
    _forget_after_commit(session, gateway, name)

    async def drop_request_log() -> None:
        request_log.drop(name)

    after_commit(session, drop_request_log)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/deployments/{deployment_id}/releases", response_model=list[ReleaseRead])
async def list_releases(deployment_id: IdPath, session: SessionDep, user: CurrentUser) -> Any:
    """Release history, newest first."""
    return await service.releases(session, user, deployment_id)


@router.post("/deployments/{deployment_id}/rollback", response_model=DeploymentRead)
async def rollback(
    deployment_id: IdPath, session: SessionDep, user: CurrentUser, reconciler: ReconcilerDep
) -> Any:
    """Roll back to the previous good release (as a new release)."""
    return await service.read(reconciler, await service.rollback(session, reconciler, user, deployment_id))


@router.get("/deployments/{deployment_id}/logs", response_model=LogsRead)
async def logs(
    deployment_id: IdPath,
    session: SessionDep,
    user: CurrentUser,
    reconciler: ReconcilerDep,
    request_log: RequestLogDep,
    tail: Annotated[int, Query(ge=1, le=5000)] = 100,
    since: Annotated[int | None, Query(ge=0, description="a `cursor` from an earlier answer")] = None,
) -> LogsRead:
    """The last `tail` lines of the deployment's replicas and its last `tail` requests (or
    the requests after `since`)."""
    name = (await service.get(session, user, deployment_id)).deployment.k8s_service_name
    requests, cursor = request_log.read(name, tail, since)
    lines = await reconciler.logs(name, tail)
    return LogsRead(lines=lines, requests=requests, cursor=cursor)  # type: ignore[arg-type]


@router.get("/deployments/{deployment_id}/stats", response_model=StatsRead)
async def stats(
    deployment_id: IdPath,
    session: SessionDep,
    user: CurrentUser,
    sampler: SamplerDep,
    settings: SettingsDep,
    window: Annotated[str, Query(description="how far back: 30s, 5m, 1h, ...")] = "5m",
) -> StatsRead:
    """Requests, rate, errors, latency p50/p95/p99, replicas, CPU and memory per replica over
    `window`, from the replicas' own metrics (no Prometheus needed)."""
    seconds = window_seconds(window, settings.stats_retention_seconds)
    row = await service.get(session, user, deployment_id)
    return await sampler.stats(row.deployment.k8s_service_name, seconds)


@router.get("/versions/{version_id}/deployments", response_model=list[DeploymentRead])
async def version_deployments(
    version_id: IdPath, session: SessionDep, user: CurrentUser, reconciler: ReconcilerDep
) -> Any:
    rows = await service.list_for_version(session, user, version_id)
    return [await service.read(reconciler, row) for row in rows]


def _forget_after_commit(session: AsyncSession, gateway: Gateway, name: str) -> None:
    async def forget() -> None:
        gateway.forget(name)

    after_commit(session, forget)
