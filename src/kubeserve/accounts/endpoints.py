"""/auth and /me."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from kubeserve.accounts import api_keys, quota, service
from kubeserve.accounts.dependencies import CurrentUser
from kubeserve.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    Credentials,
    MeRead,
    QuotaRead,
    Token,
    UserCreate,
    UserRead,
)
from kubeserve.db import SessionDep
from kubeserve.errors import Unprocessable, UnsupportedMediaType
from kubeserve.ids import IdPath
from kubeserve.runtime import sandbox
from kubeserve.state import ApiKeyCacheDep, LoginThrottleDep, PasswordHasherDep, SettingsDep

router = APIRouter(tags=["accounts"])

LOGIN_BODY = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                    "required": ["username", "password"],
                }
            },
            "application/json": {"schema": Credentials.model_json_schema()},
        },
        "required": True,
    }
}


@router.post("/auth/register", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def register(
    data: UserCreate, session: SessionDep, hasher: PasswordHasherDep, settings: SettingsDep
) -> Any:
    """Create an account. Passwords: 8-128 characters, not your email, not a common one.

    Where user code cannot be sandboxed, a second account is refused (403) unless the
    operator accepted the risk (KUBESERVE_ALLOW_UNSANDBOXED_MULTI_USER)."""
    return await service.register(session, hasher, data, settings)


@router.post("/auth/login", response_model=Token, openapi_extra=LOGIN_BODY)
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    hasher: PasswordHasherDep,
) -> Token:
    """Exchange email and password for a bearer token (OAuth2 form with username=email, or JSON).

    Repeated failures for one email from one address back off (429 with Retry-After)."""
    credentials = await _read_credentials(request)
    guard = service.LoginGuard(request.client.host if request.client else "", throttle, hasher)
    return await service.login(session, settings, guard, credentials.email, credentials.password)


@router.get("/me", response_model=MeRead)
async def me(user: CurrentUser, settings: SettingsDep) -> Any:
    """The logged-in user (`role`: `user` or `admin`), their quota, and how this install
    isolates user code."""
    return MeRead(
        **UserRead.model_validate(user).model_dump(),
        quota=QuotaRead(**asdict(quota.effective(user, settings))),
        sandboxed=sandbox.contained(settings),
        single_user=not sandbox.multi_user(settings),
        isolation=sandbox.describe(settings),
    )


async def _read_credentials(request: Request) -> Credentials:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        if content_type == "application/json":
            return Credentials.model_validate(orjson.loads(await request.body()))
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            return Credentials(email=str(form.get("username", "")), password=str(form.get("password", "")))
    except orjson.JSONDecodeError as exc:
        raise Unprocessable("malformed JSON body") from exc
    except ValidationError as exc:
        raise Unprocessable(exc.errors(include_url=False, include_context=False)) from exc
    raise UnsupportedMediaType("send a form (username, password) or JSON {email, password}")


@router.post(
    "/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED, tags=["api keys"]
)
async def create_api_key(data: ApiKeyCreate, session: SessionDep, user: CurrentUser) -> Any:
    """Create an API key for predictions. The key is in this response only: keep it."""
    return await api_keys.create(session, user, data)


@router.get("/api-keys", response_model=list[ApiKeyRead], tags=["api keys"])
async def list_api_keys(session: SessionDep, user: CurrentUser) -> Any:
    """Your API keys, by name and prefix (never the key)."""
    return await api_keys.list_keys(session, user)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["api keys"])
async def revoke_api_key(
    key_id: IdPath,
    session: SessionDep,
    user: CurrentUser,
    cache: ApiKeyCacheDep,
) -> Response:
    """Revoke an API key; it stops working at once."""
    await api_keys.revoke(session, cache, user, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
