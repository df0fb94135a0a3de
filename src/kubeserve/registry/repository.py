from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from kubeserve.orm import Model, ModelVersion
from kubeserve.repository import Repository


class ModelRepository(Repository[Model]):
    model = Model

    async def get_owned(self, model_id: int, user_id: int) -> Model | None:
        return await self.one_or_none(self.select().where(Model.id == model_id, Model.user_id == user_id))

    async def get_by_name(self, user_id: int, name: str) -> Model | None:
        return await self.one_or_none(self.select().where(Model.user_id == user_id, Model.name == name))

    async def list_owned(self, user_id: int, limit: int, offset: int) -> Sequence[Model]:
        return await self.list(
            self.select().where(Model.user_id == user_id).order_by(Model.id).limit(limit).offset(offset)
        )


class VersionRepository(Repository[ModelVersion]):
    model = ModelVersion

    async def get_owned(self, version_id: int, user_id: int) -> tuple[ModelVersion, Model] | None:
        """The version and its model, only when `user_id` owns them."""
        row = (
            await self.session.execute(
                select(ModelVersion, Model)
                .join(Model, Model.id == ModelVersion.model_id)
                .where(ModelVersion.id == version_id, Model.user_id == user_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def get_by_tag(self, model_id: int, tag: str) -> ModelVersion | None:
        return await self.one_or_none(
            self.select().where(ModelVersion.model_id == model_id, ModelVersion.version_tag == tag)
        )

    async def list_for_model(self, model_id: int) -> Sequence[ModelVersion]:
        return await self.list(
            self.select().where(ModelVersion.model_id == model_id).order_by(ModelVersion.id)
        )

    async def list_by_status(self, status: str) -> Sequence[ModelVersion]:
        return await self.list(self.select().where(ModelVersion.status == status))
