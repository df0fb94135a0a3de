"""What the app's lifespan builds once, reached by routes as `Annotated` dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from kubeserve.accounts.api_keys import ApiKeyCache
from kubeserve.accounts.throttle import LoginThrottle
from kubeserve.config import Settings
from kubeserve.deployments.gateway import Gateway
from kubeserve.deployments.reconciler import Reconciler
from kubeserve.observability.requestlog import RequestLog
from kubeserve.observability.sampler import Sampler
from kubeserve.registry.build import Builder
from kubeserve.security import PasswordHasher
from kubeserve.storage.base import ArtifactStore


def _app_state(name: str) -> Callable[[Request], Any]:
    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
StoreDep = Annotated[ArtifactStore, Depends(_app_state("store"))]
BuilderDep = Annotated[Builder, Depends(_app_state("builder"))]
ReconcilerDep = Annotated[Reconciler, Depends(_app_state("reconciler"))]
GatewayDep = Annotated[Gateway, Depends(_app_state("gateway"))]
PasswordHasherDep = Annotated[PasswordHasher, Depends(_app_state("password_hasher"))]
LoginThrottleDep = Annotated[LoginThrottle, Depends(_app_state("login_throttle"))]
ApiKeyCacheDep = Annotated[ApiKeyCache, Depends(_app_state("api_key_cache"))]
SamplerDep = Annotated[Sampler, Depends(_app_state("sampler"))]
RequestLogDep = Annotated[RequestLog, Depends(_app_state("request_log"))]
