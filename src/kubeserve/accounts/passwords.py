"""Which passwords registration refuses: too common, or the email itself."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kubeserve.errors import Unprocessable

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def check_password(email: str, password: str) -> None:
    """Raise 422 for a password an attacker would try first."""
    folded = password.casefold()
    if folded == email.casefold() or folded == email.split("@", 1)[0].casefold():
        raise Unprocessable("the password must not be your email address")
    if folded in _common():
        raise Unprocessable("this password is too common; choose another one")
