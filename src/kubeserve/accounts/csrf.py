"""Browser sessions: the access token in an httpOnly, SameSite=Strict cookie, CSRF-checked.

No script on the page can read the token. A request authenticated by the cookie with an
unsafe method must carry `X-CSRF-Token`: an HMAC of the session token that only a
same-origin script can obtain (from the login answer or `GET /auth/session`). Bearer tokens
and API keys are not ambient credentials, so they need no such header.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from kubeserve.errors import Forbidden

SESSION_COOKIE = "kubeserve_session"
CSRF_HEADER = "x-csrf-token"
COOKIE_PATH = "/api/"  # the pages themselves never need the credential
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(session_token: str, key: str) -> str:
    """The CSRF token bound to one session token (stateless: nothing to store)."""
    return hmac.new(key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def cookie_credential(method: str, cookies: Mapping[str, str], csrf: str | None, key: str) -> str | None:
    """The session token from the cookie, or None; 403 for an unsafe method without a valid CSRF token."""
    token = cookies.get(SESSION_COOKIE)
    if not token:
        return None
    if method not in SAFE_METHODS and not hmac.compare_digest(csrf or "", csrf_token(token, key)):
        raise Forbidden("cookie sessions must send the X-CSRF-Token header on this request")
    return token


def parse_cookie_header(header: str) -> dict[str, str]:
    """`a=1; b=2` as a dict (for the gateway's bare ASGI front, which has no Request)."""
    pairs = (part.strip().partition("=") for part in header.split(";"))
    return {name: value for name, _, value in pairs if name}
