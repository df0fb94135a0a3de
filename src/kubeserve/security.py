"""Password hashing (argon2), access tokens (JWT) and API-key secrets."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from kubeserve.errors import ServiceUnavailable
from kubeserve.ids import MAX_ID

T = TypeVar("T")
HASH_NICENESS = 10

_password_hash = PasswordHash((Argon2Hasher(),))
# A real hash to verify against when the email is unknown, so both failures cost the same.
_DUMMY_HASH = _password_hash.hash("kubeserve-timing-equaliser")
ALGORITHM = "HS256"


class PasswordHasher:
    """argon2 off the event loop: at most `workers` hashes run at once (threads; argon2
    releases the GIL), at most `queue` more wait; beyond that 503 at once, so a login flood
    neither starves the event loop (and every prediction behind it) nor grows memory.
    The hashing threads (and the lanes argon2 starts from them) run at a lower CPU priority:
    when the machine is busy, predictions come before logins."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._slots = threading.BoundedSemaphore(workers + queue)

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        return await self._run(verify_password, password, password_hash)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if not self._slots.acquire(blocking=False):
            raise ServiceUnavailable("too many logins at once; retry shortly", headers={"Retry-After": "1"})
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _lower_priority() -> None:
    """Nice this thread only (Linux threads have their own); elsewhere, leave it be."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-ish time: an unknown user still pays for one argon2 verification."""
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


@dataclass(frozen=True)
class TokenClaims:
    """Who an access token names: a user id and that user's current token key."""

    user_id: int
    token_key: str


def create_access_token(user_id: int, token_key: str, key: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "tk": token_key,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "typ": "access",
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access_token(token: str, key: str) -> TokenClaims | None:
    """The token's claims, or None when it is invalid, expired or not an access token."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    user_id, token_key = parse_id(claims.get("sub")), claims.get("tk")
    if claims.get("typ") != "access" or user_id is None or not isinstance(token_key, str):
        return None
    return TokenClaims(user_id, token_key)


def parse_id(value: object) -> int | None:
    """A database id written as ASCII digits (no sign, no Unicode digits), within INTEGER."""
    if not isinstance(value, str) or not 0 < len(value) <= len(str(MAX_ID)):
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 256 bits of randomness."""
    return "ks_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """API keys are long random strings, so a fast hash is enough (no dictionary to attack)."""
    return hashlib.sha256(key.encode()).hexdigest()
