"""Login throttling as the stranger tries to step around it: a made-up X-Forwarded-For.

The control plane runs as `kubeserve server` runs it (the same uvicorn options). uvicorn on
its own trusts X-Forwarded-For from 127.0.0.1, so any local client (or anything behind a
same-host proxy that passes the header on) could name a fresh address for every try and
never meet the per-address limit.
"""

from __future__ import annotations

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import serve

CAP = 3


def _spray(base: str) -> list[int]:
    """CAP + 2 failed logins, each claiming another client address."""
    codes = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(CAP + 2):
            r = http.post(
                "/api/v1/auth/login",
                json={"email": f"nobody{i}@example.com", "password": "not the password"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            codes.append(r.status_code)
    return codes


@pytest.fixture
def capped(settings: Settings) -> Settings:
    settings.login_address_max_failures = CAP
    return settings


def test_a_made_up_forwarded_for_does_not_reset_the_address_limit(capped: Settings) -> None:
    for base in serve(capped):
        codes = _spray(base)
    assert codes[:CAP] == [401] * CAP, codes
    assert codes[CAP:] == [429, 429], codes  # still the same (loopback) address


def test_a_configured_proxy_is_trusted(capped: Settings) -> None:
    capped.forwarded_allow_ips = "127.0.0.1"
    for base in serve(capped):
        codes = _spray(base)
    assert codes == [401] * (CAP + 2), codes  # each forwarded address is its own client
