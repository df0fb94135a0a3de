from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from kubeserve.orm import ApiKey, User
from kubeserve.repository import Repository


class UserRepository(Repository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.one_or_none(self.select().where(func.lower(User.email) == email.lower()))

    async def lock(self, user_id: int) -> None:
        """Hold the user's row until the transaction ends, so checks over all their rows see
        each other's writes. PostgreSQL: FOR NO KEY UPDATE, which does not conflict with the
        key-share locks inserts referencing the user take (FOR UPDATE would deadlock two of
        them); SQLite lets one writer at a time anyway."""
        statement = select(User.id).where(User.id == user_id).with_for_update(key_share=True)
        await self.session.execute(statement)

    async def any(self) -> bool:
        return await self.one_or_none(self.select().limit(1)) is not None


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    async def list_owned(self, user_id: int) -> Sequence[ApiKey]:
        return await self.list(self.select().where(ApiKey.user_id == user_id).order_by(ApiKey.id))

    async def get_owned(self, key_id: int, user_id: int) -> ApiKey | None:
        return await self.one_or_none(self.select().where(ApiKey.id == key_id, ApiKey.user_id == user_id))

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return await self.one_or_none(self.select().where(ApiKey.key_hash == key_hash))
