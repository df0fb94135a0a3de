"""Password hashing (argon2), access tokens (JWT) and API-key secrets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_password_hash = PasswordHash((Argon2Hasher(),))
# A real hash to verify against when the email is unknown, so both failures cost the same.
_DUMMY_HASH = _password_hash.hash("kubeserve-timing-equaliser")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-ish time: an unknown user still pays for one argon2 verification."""
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def create_access_token(subject: str, key: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + timedelta(minutes=minutes), "typ": "access"}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access_token(token: str, key: str) -> str | None:
    """The token's subject, or None when it is invalid, expired or not an access token."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "access":
        return None
    return str(claims["sub"])


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 256 bits of randomness."""
    return "ks_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """API keys are long random strings, so a fast hash is enough (no dictionary to attack)."""
    return hashlib.sha256(key.encode()).hexdigest()
