"""The prediction gateway: check the caller, then forward to where `runtime.upstream` says.

Local replicas: round robin over ready children (the runtime's TrafficHook sees each
request); Kubernetes: the deployment's Service.

Hot path: a cache hit costs no database query and no session; the upstream connection pool
is shared. Upstream calls go through `UpstreamPool` (asyncio + httptools) rather than
aiohttp or httpx: much less CPU per request, and a replica dying mid-request surfaces as
a clean UpstreamUnavailable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.accounts import api_keys
from kubeserve.accounts.api_keys import ApiKeyCache
from kubeserve.config import Settings
from kubeserve.deployments.repository import DeploymentRepository
from kubeserve.deployments.upstream import AnswerTooLarge, UpstreamPool, UpstreamUnavailable
from kubeserve.errors import KubeServeError, NotFound, ServiceUnavailable, Unauthorized
from kubeserve.orm import User
from kubeserve.runtime.base import TOKEN_HEADER, Runtime, Upstream
from kubeserve.security import decode_access_token

TARGET_TTL = 10.0  # seconds a deployment's owner/public flag is trusted without a query


class GatewayTimeout(KubeServeError):
    status_code = 504


class BadGateway(KubeServeError):
    status_code = 502


@dataclass(frozen=True)
class Target:
    owner_id: int
    public: bool
    expires: float
    parked: bool = False  # replicas: 0 without autoscaling: 503 until scaled up
    scales_to_zero: bool = False  # autoscaling.min 0: a request wakes it


@dataclass(frozen=True)
class Call:
    """One prediction request as the gateway needs it (parsed by the ASGI front)."""

    name: str
    method: str
    path: str  # after /predict/{name}: "" or "v2/..."
    content_type: str | None
    credential: str | None  # bearer token or API key
    passed: tuple[tuple[str, str], ...] = ()  # headers the replica needs (see PASSED_HEADERS)


@dataclass(frozen=True)
class Admission:
    """An admitted call: the deployment (the call may name a model), the replica path to
    call, and who called (for the request log)."""

    name: str
    path: str
    caller: str  # "owner" (login token), "api_key", or "public" (a public deployment)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    upstream: Upstream | None = None  # the replica that answered
    rows: int = 0  # rows it predicted
    header_length: bytes = b""  # V2 binary extension: Inference-Header-Content-Length


# Request headers forwarded to the replica besides Content-Type: compressed bodies and the V2
# binary tensor extension (its answer's Inference-Header-Content-Length comes back too).
PASSED_HEADERS = frozenset({b"content-encoding", b"inference-header-content-length"})


class Gateway:
    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        sessionmaker: async_sessionmaker[AsyncSession],
        key_cache: ApiKeyCache,
    ) -> None:
        self.settings, self.runtime, self.sessionmaker, self.key_cache = (
            settings,
            runtime,
            sessionmaker,
            key_cache,
        )
        self._targets: dict[str, Target] = {}
        self._by_model: dict[tuple[int, str], tuple[str, float]] = {}  # (caller, model) -> deployment
        self._token_keys: dict[int, tuple[str | None, float]] = {}  # user -> current key (None: gone)
        self._upstream = UpstreamPool(connect_timeout=2.0)

    async def close(self) -> None:
        await self._upstream.close()

    def forget(self, name: str) -> None:
        """Drop the cached owner/public flag of a deployment (changed or deleted)."""
        self._targets.pop(name, None)

    def forget_owner(self, user_id: int) -> None:
        """Drop a user's cached token key (it changed: their tokens are revoked)."""
        self._token_keys.pop(user_id, None)

    async def admit(self, call: Call) -> Admission:
        """Check the caller before any body is read. `call.name` is a deployment's name, or
        the name of one of the caller's models: then its newest deployment."""
        name = call.name
        try:
            target = await self._target(name)
        except NotFound:
            name = await self._model_deployment(call)
            target = await self._target(name)
        caller = "public" if target.public else await self._authorize(call.credential, target)
        return Admission(name, _upstream_path(call.path), caller)

    async def forward(self, call: Call, admission: Admission, body: bytes) -> Answer:
        """Send an admitted call to a ready replica; once more to another if the first could
        not be reached — but never a request its replica may have died of (a poison input
        would kill every replica in turn), unless that replica was stopped from outside."""
        headers = {"Content-Type": call.content_type or "application/json", **dict(call.passed)}
        traffic = self.runtime.traffic
        for attempt in (1, 2):
            target = await self._pick(admission.name)
            try:
                return await self._send(target, call.method, admission.path, body, headers)
            except TimeoutError as exc:
                if traffic is not None:  # stuck: no more traffic until it shows it is ready
                    traffic.unreachable(admission.name, target)
                raise GatewayTimeout(
                    f"the model did not answer within {self.settings.gateway_timeout_seconds:g} s"
                ) from exc
            except AnswerTooLarge as exc:  # not resent: another replica would answer the same
                raise BadGateway(f"the model's answer is too large ({exc})") from None
            except UpstreamUnavailable as exc:
                if traffic is not None:
                    traffic.unreachable(admission.name, target)
                if exc.sent and not (
                    traffic is not None and await traffic.replayable(admission.name, target)
                ):
                    raise BadGateway(
                        "the model's replica failed while processing this request (its process "
                        "exited or dropped the connection); the request was not retried, since "
                        "it may be what made the replica fail"
                    ) from None
                if attempt == 2:
                    raise ServiceUnavailable(
                        "the model's replicas are not answering", headers={"Retry-After": "2"}
                    ) from None
        raise AssertionError("unreachable")

    async def _send(
        self, target: Upstream, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> Answer:
        if target.token is not None:
            headers[TOKEN_HEADER] = target.token
        traffic = self.runtime.traffic
        if traffic is not None:
            traffic.began(target)
        try:
            status, content_type, content, rows, header_length = await self._upstream.request(
                target.address, method, path, headers, body, self.settings.gateway_timeout_seconds
            )
        finally:
            if traffic is not None:
                traffic.ended(target)
        kind = content_type.decode("latin-1") or "application/json"
        return Answer(status, kind, content, target, rows, header_length)

    async def _pick(self, name: str) -> Upstream:
        target = self.runtime.upstream(name)
        if target is not None:
            return target
        # Deleted (maybe by a model's cascade) rather than starting? Then it is a 404.
        self.forget(name)
        entry = await self._target(name)
        if entry.parked:
            raise ServiceUnavailable(
                "this deployment is parked (replicas: 0): scale it up to serve predictions",
                headers={"Retry-After": "60"},
            )
        traffic = self.runtime.traffic
        if entry.scales_to_zero and traffic is not None:  # hold the request while one starts
            woken = await traffic.wake(name, self.settings.wake_timeout_seconds)
            if woken is not None:
                return woken
            raise ServiceUnavailable(
                "the model is waking up from zero replicas; retry shortly", headers={"Retry-After": "5"}
            )
        raise ServiceUnavailable("no replica is ready yet; retry shortly", headers={"Retry-After": "2"})

    async def _target(self, name: str) -> Target:
        """Who owns the deployment and whether it is public; a disabled owner's is not found."""
        target = self._targets.get(name)
        if target is not None and target.expires > time.monotonic():
            return target
        async with self.sessionmaker() as session:
            deployment = await DeploymentRepository(session).get_by_name(name)
            owner = await session.get(User, deployment.user_id) if deployment else None
        if deployment is None or owner is None or not owner.is_active:
            self.forget(name)
            raise NotFound("deployment not found")
        auto = deployment.autoscaling
        target = Target(
            owner.id,
            deployment.public,
            time.monotonic() + TARGET_TTL,
            parked=auto is None and deployment.replicas == 0,
            scales_to_zero=auto is not None and auto["min"] == 0,
        )
        self._targets[name] = target
        return target

    async def _model_deployment(self, call: Call) -> str:
        """The caller's newest deployment of their model `call.name`; NotFound otherwise."""
        if not call.credential:
            raise NotFound("deployment not found")
        caller = await self._caller(call.credential)
        known = self._by_model.get((caller, call.name))
        if known is not None and known[1] > time.monotonic():
            return known[0]
        async with self.sessionmaker() as session:
            deployment = await DeploymentRepository(session).newest_of_model(caller, call.name)
        if deployment is None:
            raise NotFound("deployment not found")
        if len(self._by_model) > 10_000:  # bounded: forget everything rather than grow
            self._by_model.clear()
        self._by_model[(caller, call.name)] = (deployment.k8s_service_name, time.monotonic() + TARGET_TTL)
        return deployment.k8s_service_name

    async def _caller(self, credential: str) -> int:
        """The user an API key or a live token names: the one credential check of every gateway path.

        An invalid or revoked credential is 401 whether or not the name exists: a revoked token
        must not tell which model names its former owner has deployed."""
        if credential.startswith("ks_"):
            caller = await api_keys.owner_of(self.sessionmaker, self.key_cache, credential)
        else:
            claims = decode_access_token(credential, self.settings.jwt_key)
            live = claims is not None and await self._token_key(claims.user_id) == claims.token_key
            caller = claims.user_id if claims is not None and live else None
        if caller is None:
            raise Unauthorized("invalid, expired or revoked credential")
        return caller

    async def _token_key(self, user_id: int) -> str | None:
        """A user's current token key (None: no such active user), trusted for TARGET_TTL."""
        known = self._token_keys.get(user_id)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        async with self.sessionmaker() as session:
            user = await session.get(User, user_id)
        key = user.token_key if user is not None and user.is_active else None
        if len(self._token_keys) > 10_000:  # bounded: forget everything rather than grow
            self._token_keys.clear()
        self._token_keys[user_id] = (key, time.monotonic() + TARGET_TTL)
        return key

    async def _authorize(self, credential: str | None, target: Target) -> str:
        """The owner's live token or one of the owner's API keys (which one: the caller's
        kind); a dead credential is 401, anyone else's a 404."""
        if not credential:
            raise Unauthorized("send a bearer token or an API key (X-API-Key)")
        if await self._caller(credential) != target.owner_id:
            raise NotFound("deployment not found")
        return "api_key" if credential.startswith("ks_") else "owner"


def _upstream_path(path: str) -> str:
    """`/predict/{d}` -> `/predict`; `/predict/{d}/v2/...` -> `/v2/...`; nothing else."""
    path = path.strip("/")
    if path in ("", "predict"):
        return "/predict"
    if path == "v2" or path.startswith("v2/"):
        return "/" + path
    raise NotFound(f"no such model route: {path!r}; use /predict/{{deployment}} or .../v2/...")
