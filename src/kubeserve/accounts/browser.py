"""/auth/session: log a browser in; /auth/logout: log out everywhere (the cookie and CSRF
rules are in csrf.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from kubeserve.accounts import service
from kubeserve.accounts.csrf import COOKIE_PATH, SESSION_COOKIE, csrf_token
from kubeserve.accounts.dependencies import CurrentUser
from kubeserve.accounts.schemas import Credentials, UserRead
from kubeserve.config import Settings
from kubeserve.db import SessionDep, after_commit
from kubeserve.errors import Forbidden
from kubeserve.security import decode_access_token
from kubeserve.state import GatewayDep, LoginThrottleDep, PasswordHasherDep, SettingsDep

router = APIRouter(tags=["accounts"])


class SessionRead(BaseModel):
    user: UserRead
    csrf_token: str
    expires_in: int


@router.post("/auth/session", response_model=SessionRead)
async def create_session(
    data: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    hasher: PasswordHasherDep,
) -> Any:
    """Log in a browser: sets the session cookie and answers the CSRF token to send back."""
    guard = service.LoginGuard(request.client.host if request.client else "", throttle, hasher)
    token = await service.login(session, settings, guard, data.email, data.password)
    claims = decode_access_token(token.access_token, settings.jwt_key)
    user = await service.user_for_token(session, claims) if claims else None
    _set_cookie(response, token.access_token, settings)
    return SessionRead(
        user=UserRead.model_validate(user),
        csrf_token=csrf_token(token.access_token, settings.jwt_key),
        expires_in=token.expires_in,
    )


@router.get("/auth/session", response_model=SessionRead)
async def read_session(request: Request, user: CurrentUser, settings: SettingsDep) -> Any:
    """The browser's session: who is logged in, and the CSRF token for unsafe requests."""
    token = request.cookies.get(SESSION_COOKIE)
    if token is None:  # a bearer caller has no session to describe
        raise Forbidden("no browser session: log in with POST /auth/session")
    return SessionRead(
        user=UserRead.model_validate(user),
        csrf_token=csrf_token(token, settings.jwt_key),
        expires_in=settings.access_token_minutes * 60,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, gateway: GatewayDep
) -> Response:
    """Log out everywhere: every access token of yours stops working (this one, the
    dashboard's session, CLI logins); API keys keep working. Clears the session cookie."""
    await service.revoke_tokens(session, user)
    user_id = user.id

    async def forget() -> None:  # the gateway's cached owner key, here at once (else <= 10 s)
        gateway.forget_owner(user_id)

    after_commit(session, forget)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(settings)
    )
    return response


def _set_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
    )


def _secure(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")
