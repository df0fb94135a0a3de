"""Deployment rules. Services write desired state; the reconciler acts on it after commit."""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.accounts import quota
from kubeserve.accounts.repository import UserRepository
from kubeserve.config import Settings
from kubeserve.db import after_commit
from kubeserve.deployments.reconciler import Reconciler
from kubeserve.deployments.repository import (
    DeploymentRepository,
    DeploymentRow,
    ReleaseRepository,
    Usage,
    most_replicas,
)
from kubeserve.deployments.schemas import DeploymentCreate, DeploymentRead, DeploymentUpdate
from kubeserve.errors import Conflict, Forbidden, NotFound, Unprocessable
from kubeserve.orm import Deployment, Model, ModelVersion, Release, User, VersionStatus
from kubeserve.registry.repository import VersionRepository

_ALPHABET = string.ascii_lowercase + string.digits


def new_name(model_name: str) -> str:
    """`{model}-{10 random chars}`: a valid Kubernetes name nobody can guess by counting."""
    return f"{model_name[:40].rstrip('-')}-{''.join(secrets.choice(_ALPHABET) for _ in range(10))}"


async def _ready_version(session: AsyncSession, user: User, version_id: int) -> tuple[ModelVersion, Model]:
    found = await VersionRepository(session).get_owned(version_id, user.id)
    if found is None:
        raise NotFound("version not found")
    version = found[0]
    if version.status != VersionStatus.READY:
        raise Conflict(f"version {version.version_tag} is {version.status}; only Ready versions deploy")
    return found


async def create(
    session: AsyncSession, settings: Settings, reconciler: Reconciler, user: User, data: DeploymentCreate
) -> DeploymentRow:
    version, model = await _ready_version(session, user, data.version_id)
    name = new_name(model.name)
    autoscaling = data.autoscaling.model_dump() if data.autoscaling else None
    replicas = max(1, data.autoscaling.min) if data.autoscaling else data.replicas  # one to start
    deployment = await DeploymentRepository(session).add(
        Deployment(
            user_id=user.id,
            version_id=version.id,
            k8s_service_name=name,
            replicas=replicas,
            autoscaling=autoscaling,
            public=data.public,
            status="Pending",
            release=1,
            url=f"{settings.base_url}/api/v1/predict/{name}",
        )
    )
    await ReleaseRepository(session).add(
        Release(deployment_id=deployment.id, revision=1, version_id=version.id, reason="deploy")
    )
    await _within_quota(session, settings, user, 0, most_replicas(replicas, autoscaling))
    after_commit(session, lambda: reconciler.kick(deployment.id))
    return await get(session, user, deployment.id)


async def _within_quota(
    session: AsyncSession, settings: Settings, user: User, before: int, after: int
) -> None:
    """Refuse (403, nothing written) a change that raises the replicas the user's deployments
    may run at once beyond their pods quota. Lowering is always allowed, even when an admin
    set the quota below what already runs."""
    if after <= before:
        return
    allowed = quota.effective(user, settings).pods
    await UserRepository(session).lock(user.id)  # two deploys at once: the second sees the first
    held = (await DeploymentRepository(session).usage(user.id)).get(user.id, Usage())
    if held.replicas > allowed:
        raise Forbidden(
            f"exceeded quota: pods: your deployments could run {held.replicas} replicas at once "
            f"(this one {after}), your quota is {allowed}; scale another deployment down, "
            "or ask an admin for more"
        )


async def get(session: AsyncSession, user: User, deployment_id: int) -> DeploymentRow:
    row = await DeploymentRepository(session).get_row(deployment_id, user.id)
    if row is None:
        raise NotFound("deployment not found")
    return row


async def list_for_user(session: AsyncSession, user: User) -> list[DeploymentRow]:
    return await DeploymentRepository(session).list_rows(user_id=user.id)


async def list_for_version(session: AsyncSession, user: User, version_id: int) -> list[DeploymentRow]:
    if await VersionRepository(session).get_owned(version_id, user.id) is None:
        raise NotFound("version not found")
    return await DeploymentRepository(session).list_rows(user_id=user.id, version_id=version_id)


async def update(
    session: AsyncSession,
    settings: Settings,
    reconciler: Reconciler,
    user: User,
    deployment_id: int,
    data: DeploymentUpdate,
) -> DeploymentRow:
    row = await get(session, user, deployment_id)
    deployment = row.deployment
    before = most_replicas(deployment.replicas, deployment.autoscaling)
    if "autoscaling" in data.model_fields_set:
        deployment.autoscaling = data.autoscaling.model_dump() if data.autoscaling else None
        if data.autoscaling is not None:
            deployment.replicas = max(1, data.autoscaling.min)  # one to start (min 0: idles down)
    if data.replicas is not None:
        if deployment.autoscaling is not None:
            raise Conflict("this deployment is autoscaled: its replicas follow the load")
        deployment.replicas = data.replicas
    if data.public is not None:
        deployment.public = data.public
    if data.version_id is not None and data.version_id != deployment.version_id:
        version, _ = await _ready_version(session, user, data.version_id)
        if version.model_id != row.model.id:
            raise Unprocessable("a deployment serves one model: pick a version of the same model")
        await _new_release(session, deployment, version.id, f"update to {version.version_tag}")
    await session.flush()
    await _within_quota(
        session, settings, user, before, most_replicas(deployment.replicas, deployment.autoscaling)
    )
    after_commit(session, lambda: reconciler.kick(deployment.id))
    return await get(session, user, deployment_id)


async def rollback(
    session: AsyncSession, reconciler: Reconciler, user: User, deployment_id: int
) -> DeploymentRow:
    """A new release serving the version of the last good release before the current one."""
    row = await get(session, user, deployment_id)
    releases = ReleaseRepository(session)
    previous = next(
        (
            r
            for r in await releases.list_for(deployment_id)
            if r.revision < row.deployment.release and r.status in ("Active", "Superseded")
        ),
        None,
    )
    if previous is None:
        raise Conflict("there is no previous release to roll back to")
    await _new_release(
        session, row.deployment, previous.version_id, f"rollback to release {previous.revision}"
    )
    after_commit(session, lambda: reconciler.kick(deployment_id))
    return await get(session, user, deployment_id)


async def _new_release(session: AsyncSession, deployment: Deployment, version_id: int, reason: str) -> None:
    releases = ReleaseRepository(session)
    revision = await releases.next_revision(deployment.id)
    await releases.add(
        Release(deployment_id=deployment.id, revision=revision, version_id=version_id, reason=reason)
    )
    deployment.version_id, deployment.release, deployment.error = version_id, revision, None


async def releases(session: AsyncSession, user: User, deployment_id: int) -> Sequence[Release]:
    await get(session, user, deployment_id)
    return await ReleaseRepository(session).list_for(deployment_id)


async def delete(session: AsyncSession, reconciler: Reconciler, user: User, deployment_id: int) -> str:
    """Delete the row; once committed, stop its replicas. Returns the deployment's name."""
    row = await get(session, user, deployment_id)
    name = row.deployment.k8s_service_name
    await DeploymentRepository(session).delete(row.deployment)
    after_commit(session, lambda: reconciler.remove(name))
    return name


async def read(reconciler: Reconciler, row: DeploymentRow) -> DeploymentRead:
    """The stored desired state joined with what the runtime reports right now."""
    d = row.deployment
    live = await reconciler.observe(d.k8s_service_name)
    return DeploymentRead(
        id=d.id,
        name=d.k8s_service_name,
        url=d.url,
        model_id=row.model.id,
        model_name=row.model.name,
        version_id=row.version.id,
        version_tag=row.version.version_tag,
        release=d.release,
        replicas=d.replicas,
        autoscaling=d.autoscaling,
        public=d.public,
        status=d.status,
        error=d.error,
        ready_replicas=live.ready_replicas,
        # What the runtime wants (autoscaling may have moved it, to zero too), once it knows.
        desired_replicas=live.desired_replicas if live.release is not None else d.replicas,
        instances=live.replicas,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )
