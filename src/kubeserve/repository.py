"""A small generic repository: the queries every table needs, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.orm import Base

T = TypeVar("T", bound=Base)


class Repository(Generic[T]):
    """Subclasses set `model` and add their own queries; none of them commit."""

    model: type[T]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_id(self, id_: int) -> T | None:
        return await self.session.get(self.model, id_)

    async def one_or_none(self, statement: Select[T]) -> T | None:
        return (await self.session.execute(statement)).scalars().first()

    async def list(self, statement: Select[T]) -> Sequence[T]:
        return (await self.session.execute(statement)).scalars().all()

    def select(self) -> Select[T]:
        return select(self.model)

    async def add(self, obj: T) -> T:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def update(self, obj: T, values: dict[str, Any]) -> T:
        for key, value in values.items():
            setattr(obj, key, value)
        await self.session.flush()
        return obj

    async def delete(self, obj: T) -> None:
        await self.session.delete(obj)
        await self.session.flush()
