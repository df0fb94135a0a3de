"""`kubeserve admin grant|revoke EMAIL`: the operator's way to make an admin, like Django's
createsuperuser. It runs where the control plane runs, against its database (the same
KUBESERVE_* settings), so no stranger can become admin by registering first or over HTTP."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from kubeserve import migrations
from kubeserve.accounts.repository import UserRepository
from kubeserve.accounts.schemas import Email
from kubeserve.config import Settings
from kubeserve.db import create_engine, create_sessionmaker
from kubeserve.errors import NotFound, ServiceUnavailable, Unprocessable

ROLES = ("user", "admin")


async def set_role(settings: Settings, email: str, role: str) -> str:
    """Give the registered user `email` the `role`; returns what changed, as a sentence."""
    assert role in ROLES
    try:
        address = TypeAdapter(Email).validate_python(email)
    except ValidationError:
        raise Unprocessable(f"{email!r} is not an email address") from None
    engine = create_engine(settings.sqlalchemy_url)
    try:
        await migrations.upgrade(engine)  # a no-op at head, as at every start of the server
        async with create_sessionmaker(engine)() as session:
            user = await UserRepository(session).get_by_email(address)
            if user is None:
                raise NotFound(f"no user {address}: they register first (`kubeserve register`)")
            before, user.role = user.role, role
            await session.commit()
    except (OSError, SQLAlchemyError) as exc:
        reason = str(exc).splitlines()[0]
        raise ServiceUnavailable(f"cannot use the database (KUBESERVE_DATABASE_URL): {reason}") from None
    finally:
        await engine.dispose()
    if before == role:
        return f"{address} already is {'an admin' if role == 'admin' else 'not an admin'}"
    return f"{address} is {'now an admin' if role == 'admin' else 'no longer an admin'}"
