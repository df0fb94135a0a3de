"""The prediction gateway: check the caller, then forward to a ready replica (round robin).

Hot path: a cache hit costs no database query; the upstream connection pool is shared.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import httpx
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.accounts import api_keys
from kubeserve.accounts.api_keys import ApiKeyCache
from kubeserve.config import Settings
from kubeserve.deployments.repository import DeploymentRepository
from kubeserve.errors import KubeServeError, NotFound, ServiceUnavailable, Unauthorized
from kubeserve.runtime.base import Endpoint, Runtime
from kubeserve.security import decode_access_token

RETRYABLE = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
PASSED_HEADERS = ("content-type", "accept")


class GatewayTimeout(KubeServeError):
    status_code = 504


@dataclass(frozen=True)
class Target:
    owner_id: int
    public: bool
    expires: float


class Gateway:
    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        sessionmaker: async_sessionmaker[AsyncSession],
        key_cache: ApiKeyCache,
    ) -> None:
        self.settings, self.runtime, self.sessionmaker, self.key_cache = (
            settings, runtime, sessionmaker, key_cache)
        self._targets: dict[str, Target] = {}
        self._counter = itertools.count()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.gateway_timeout_seconds, connect=2.0),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128),
        )

    async def close(self) -> None:
        await self._http.aclose()

    def forget(self, name: str) -> None:
        """Drop the cached owner/public flag of a deployment (changed or deleted)."""
        self._targets.pop(name, None)

    async def forward(self, request: Request, name: str, path: str) -> Response:
        target = await self._target(name)
        if not target.public:
            await self._authorize(request, target)
        upstream = _upstream_path(path)
        body = await request.body()
        headers = {k: v for k in PASSED_HEADERS if (v := request.headers.get(k))}
        for attempt in (1, 2):
            endpoint = self._pick(name)
            try:
                return await self._send(endpoint, request.method, upstream, body, headers)
            except RETRYABLE:
                self.runtime.report_failure(name, endpoint)  # died before answering
                if attempt == 2:
                    raise ServiceUnavailable("the model's replicas are not answering", headers={"Retry-After": "2"})
            except httpx.TimeoutException as exc:
                raise GatewayTimeout("the model did not answer in time") from exc
        raise AssertionError("unreachable")

    async def _send(
        self, endpoint: Endpoint, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> Response:
        endpoint.in_flight += 1
        try:
            answer = await self._http.request(
                method, endpoint.url + path, content=body,
                headers={**headers, "X-KubeServe-Token": endpoint.token},
            )
        finally:
            endpoint.in_flight -= 1
        media = answer.headers.get("content-type", "application/json")
        return Response(answer.content, status_code=answer.status_code, media_type=media)

    def _pick(self, name: str) -> Endpoint:
        endpoints = self.runtime.endpoints(name)
        if not endpoints:
            raise ServiceUnavailable("no replica is ready yet; retry shortly", headers={"Retry-After": "2"})
        return endpoints[next(self._counter) % len(endpoints)]

    async def _target(self, name: str) -> Target:
        target = self._targets.get(name)
        if target is not None and target.expires > time.monotonic():
            return target
        async with self.sessionmaker() as session:
            deployment = await DeploymentRepository(session).get_by_name(name)
        if deployment is None:
            self.forget(name)
            raise NotFound("deployment not found")
        target = Target(deployment.user_id, deployment.public, time.monotonic() + 10.0)
        self._targets[name] = target
        return target

    async def _authorize(self, request: Request, target: Target) -> None:
        """The owner's JWT or one of the owner's API keys; anyone else sees a 404."""
        credential = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if credential is None and auth[:7].lower() == "bearer ":
            credential = auth[7:].strip()
        if not credential:
            raise Unauthorized("send a bearer token or an API key (X-API-Key)")
        if credential.startswith("ks_"):
            async with self.sessionmaker() as session:
                caller = await api_keys.owner_of(session, self.key_cache, credential)
        else:
            subject = decode_access_token(credential, self.settings.jwt_key)
            caller = int(subject) if subject and subject.isdigit() else None
        if caller is None:
            raise Unauthorized("invalid, expired or revoked credential")
        if caller != target.owner_id:
            raise NotFound("deployment not found")


def _upstream_path(path: str) -> str:
    """`/predict/{d}` -> `/predict`; `/predict/{d}/v2/...` -> `/v2/...`; nothing else."""
    path = path.strip("/")
    if path in ("", "predict"):
        return "/predict"
    if path == "v2" or path.startswith("v2/"):
        return "/" + path
    raise NotFound(f"no such model route: {path!r}; use /predict/{{deployment}} or .../v2/...")
