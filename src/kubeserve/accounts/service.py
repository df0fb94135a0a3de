"""Accounts: registration, login, the current user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.accounts.passwords import check_password
from kubeserve.accounts.repository import UserRepository
from kubeserve.accounts.schemas import Token, UserCreate
from kubeserve.accounts.throttle import LoginThrottle
from kubeserve.config import Settings
from kubeserve.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from kubeserve.orm import User
from kubeserve.orm.user import new_token_key
from kubeserve.runtime import sandbox
from kubeserve.security import PasswordHasher, TokenClaims, create_access_token

BAD_CREDENTIALS = "incorrect email or password"


@dataclass(frozen=True)
class LoginGuard:
    """What protects a login: the caller's address for the throttle, the bounded hasher."""

    address: str
    throttle: LoginThrottle
    hasher: PasswordHasher


SINGLE_USER = (
    "this KubeServe runs user code without a sandbox ({why}), so it is a single-user install "
    "and already has its user: models of a second account could read the first one's data. "
    "Run it where bubblewrap works, or set KUBESERVE_ALLOW_UNSANDBOXED_MULTI_USER=true to "
    "accept that risk."
)


async def register(
    session: AsyncSession, hasher: PasswordHasher, data: UserCreate, settings: Settings
) -> User:
    check_password(data.email, data.password)
    users = UserRepository(session)
    if not sandbox.multi_user(settings) and await users.any():
        raise Forbidden(SINGLE_USER.format(why=sandbox.describe(settings).split(";")[0]))
    if await users.get_by_email(data.email) is not None:
        raise Conflict("a user with this email already exists")
    return await users.add(User(email=data.email, password_hash=await hasher.hash(data.password)))


async def login(
    session: AsyncSession,
    settings: Settings,
    guard: LoginGuard,
    email: str,
    password: str,
) -> Token:
    """Same 401 for an unknown email and a wrong password; 429 after repeated failures from
    the caller's address (see LoginThrottle); the hash runs off the event loop."""
    wait = guard.throttle.retry_after(guard.address, email)
    if wait:
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    user = await UserRepository(session).get_by_email(email)
    if not await guard.hasher.verify(password, user.password_hash if user else None) or user is None:
        guard.throttle.failed(guard.address, email)
        raise Unauthorized(BAD_CREDENTIALS)
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    guard.throttle.succeeded(guard.address, email)
    minutes = settings.access_token_minutes
    token = create_access_token(user.id, user.token_key, settings.jwt_key, minutes)
    return Token(access_token=token, expires_in=minutes * 60)


async def revoke_tokens(session: AsyncSession, user: User) -> None:
    """A new token key: every access token issued to `user` so far is refused from now on."""
    user.token_key = new_token_key()
    await session.flush()


async def user_for_token(session: AsyncSession, claims: TokenClaims) -> User | None:
    """The active user a token names, or None: a token dies with its user's token key."""
    user = await UserRepository(session).get_by_id(claims.user_id)
    if user is None or not user.is_active or not secrets.compare_digest(user.token_key, claims.token_key):
        return None
    return user
