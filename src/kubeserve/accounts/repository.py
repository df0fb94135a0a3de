from __future__ import annotations

from sqlalchemy import func

from kubeserve.orm import User
from kubeserve.repository import Repository


class UserRepository(Repository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.one_or_none(self.select().where(func.lower(User.email) == email.lower()))
