from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import func, select

from kubeserve.orm import Deployment, Model, ModelVersion, Release
from kubeserve.repository import Repository


class Usage(NamedTuple):
    """What one owner's deployments hold against their quota."""

    deployments: int = 0
    replicas: int = 0  # the most replicas they may run at once (autoscaled: their max)


def most_replicas(replicas: int, autoscaling: dict[str, Any] | None) -> int:
    """The most replicas a deployment may run at once: what counts against the pods quota."""
    return int(autoscaling["max"]) if autoscaling else replicas


class DeploymentRow(NamedTuple):
    """A deployment with the version and model it serves, loaded in one query."""

    deployment: Deployment
    version: ModelVersion
    model: Model


def _joined():  # type: ignore[no-untyped-def]
    return (
        select(Deployment, ModelVersion, Model)
        .join(ModelVersion, ModelVersion.id == Deployment.version_id)
        .join(Model, Model.id == ModelVersion.model_id)
    )


class DeploymentRepository(Repository[Deployment]):
    model = Deployment

    async def _rows(self, statement) -> list[DeploymentRow]:  # type: ignore[no-untyped-def]
        result = await self.session.execute(statement)
        return [DeploymentRow(*row) for row in result.all()]

    async def get_row(self, deployment_id: int, user_id: int | None = None) -> DeploymentRow | None:
        statement = _joined().where(Deployment.id == deployment_id)
        if user_id is not None:
            statement = statement.where(Deployment.user_id == user_id)
        rows = await self._rows(statement)
        return rows[0] if rows else None

    async def list_rows(
        self, user_id: int | None = None, version_id: int | None = None
    ) -> list[DeploymentRow]:
        statement = _joined().order_by(Deployment.id)
        if user_id is not None:
            statement = statement.where(Deployment.user_id == user_id)
        if version_id is not None:
            statement = statement.where(Deployment.version_id == version_id)
        return await self._rows(statement)

    async def get_many(self, ids: list[int]) -> dict[int, Deployment]:
        found = await self.list(self.select().where(Deployment.id.in_(ids)))
        return {d.id: d for d in found}

    async def names(self) -> dict[int, str]:
        """Every deployment's id and runtime name (what the leading reconciler must manage)."""
        result = await self.session.execute(select(Deployment.id, Deployment.k8s_service_name))
        return {id_: name for id_, name in result.all()}

    async def usage(self, user_id: int | None = None) -> dict[int, Usage]:
        """Per owner (one owner, or all): their deployments and the replicas these may run."""
        statement = select(Deployment.user_id, Deployment.replicas, Deployment.autoscaling)
        if user_id is not None:
            statement = statement.where(Deployment.user_id == user_id)
        found: dict[int, Usage] = {}
        for owner, replicas, autoscaling in (await self.session.execute(statement)).all():
            held = found.get(owner, Usage())
            found[owner] = Usage(held.deployments + 1, held.replicas + most_replicas(replicas, autoscaling))
        return found

    async def get_by_name(self, name: str) -> Deployment | None:
        return await self.one_or_none(self.select().where(Deployment.k8s_service_name == name))

    async def newest_of_model(self, user_id: int, model_name: str) -> Deployment | None:
        """The user's newest deployment of their model called `model_name`."""
        statement = (
            self.select()
            .join(ModelVersion, ModelVersion.id == Deployment.version_id)
            .join(Model, Model.id == ModelVersion.model_id)
            .where(Model.user_id == user_id, Model.name == model_name)
            .order_by(Deployment.id.desc())
            .limit(1)
        )
        return await self.one_or_none(statement)


class ReleaseRepository(Repository[Release]):
    model = Release

    async def list_for(self, deployment_id: int) -> Sequence[Release]:
        return await self.list(
            self.select().where(Release.deployment_id == deployment_id).order_by(Release.revision.desc())
        )

    async def get_revision(self, deployment_id: int, revision: int) -> Release | None:
        return await self.one_or_none(
            self.select().where(Release.deployment_id == deployment_id, Release.revision == revision)
        )

    async def next_revision(self, deployment_id: int) -> int:
        result = await self.session.execute(
            select(func.max(Release.revision)).where(Release.deployment_id == deployment_id)
        )
        return (result.scalar() or 0) + 1
