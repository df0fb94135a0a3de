"""Accounts: registration, login, the current user."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kubeserve.accounts.repository import UserRepository
from kubeserve.accounts.schemas import Token, UserCreate
from kubeserve.accounts.throttle import LoginThrottle
from kubeserve.config import Settings
from kubeserve.errors import Conflict, TooManyRequests, Unauthorized
from kubeserve.orm import User
from kubeserve.security import create_access_token, hash_password, verify_password

BAD_CREDENTIALS = "incorrect email or password"


async def register(session: AsyncSession, data: UserCreate) -> User:
    users = UserRepository(session)
    if await users.get_by_email(data.email) is not None:
        raise Conflict("a user with this email already exists")
    return await users.add(User(email=data.email.lower(), password_hash=hash_password(data.password)))


async def login(
    session: AsyncSession, settings: Settings, throttle: LoginThrottle, email: str, password: str
) -> Token:
    """Same 401 for an unknown email and a wrong password; 429 after repeated failures."""
    wait = throttle.retry_after(email)
    if wait:
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    user = await UserRepository(session).get_by_email(email)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        throttle.failed(email)
        raise Unauthorized(BAD_CREDENTIALS)
    if not user.is_active:
        raise Unauthorized("this account is disabled")
    throttle.succeeded(email)
    minutes = settings.access_token_minutes
    token = create_access_token(str(user.id), settings.jwt_key, minutes)
    return Token(access_token=token, expires_in=minutes * 60)


async def user_for_token_subject(session: AsyncSession, subject: str) -> User | None:
    """The active user a token's subject names, or None."""
    if not subject.isdigit():
        return None
    user = await UserRepository(session).get_by_id(int(subject))
    return user if user is not None and user.is_active else None
