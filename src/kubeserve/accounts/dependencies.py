"""Who is calling: `CurrentUser` for routes that need a logged-in user.

A bearer token (CLI, SDK, scripts) or a browser's session cookie with its CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from kubeserve.accounts import service
from kubeserve.accounts.csrf import CSRF_HEADER, cookie_credential
from kubeserve.db import SessionDep
from kubeserve.errors import Unauthorized
from kubeserve.orm import User
from kubeserve.security import decode_access_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


async def get_current_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    key = request.app.state.settings.jwt_key
    token = token or cookie_credential(request.method, request.cookies, request.headers.get(CSRF_HEADER), key)
    if not token:
        raise Unauthorized("not authenticated")
    claims = decode_access_token(token, key)
    user = await service.user_for_token(session, claims) if claims else None
    if user is None:
        raise Unauthorized("invalid or expired token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
