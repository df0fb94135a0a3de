from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.orm import Model, ModelVersion, VersionStatus
from kubeserve.repository import Repository

_NO_ARTIFACT: dict[str, Any] = dict(s3_path=None, sha256=None, size_bytes=None, signature=None, error=None)


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

    async def claim_for_upload(self, version_id: int, status: str) -> bool:
        """Move a version from `status` to Building with no artifact, in a transaction of its
        own committed at once: of two concurrent uploads only one can win (the other: 409)."""
        async with AsyncSession(self.session.bind) as own:
            result = await own.execute(
                update(ModelVersion)
                .where(ModelVersion.id == version_id, ModelVersion.status == status)
                .values(status=VersionStatus.BUILDING, **_NO_ARTIFACT)
            )
            await own.commit()
        return bool(getattr(result, "rowcount", 0) == 1)

    async def release_upload_claim(self, version_id: int, previous: dict[str, Any]) -> None:
        """A failed upload puts back what the version had before its claim."""
        async with AsyncSession(self.session.bind) as own:
            await own.execute(
                update(ModelVersion)
                .where(
                    ModelVersion.id == version_id,
                    ModelVersion.status == VersionStatus.BUILDING,
                    ModelVersion.s3_path.is_(None),
                )
                .values(**previous)
            )
            await own.commit()

    async def list_by_status(self, status: str) -> Sequence[ModelVersion]:
        return await self.list(self.select().where(ModelVersion.status == status))
