"""create_app(): the control plane. The lifespan builds engine, store and builder once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from kubeserve import dashboard, migrations, openapi
from kubeserve.accounts import browser
from kubeserve.accounts.api_keys import ApiKeyCache
from kubeserve.accounts.endpoints import router as accounts_router
from kubeserve.accounts.throttle import LoginThrottle
from kubeserve.admin.endpoints import router as admin_router
from kubeserve.body_limit import BodyLimit
from kubeserve.config import Settings
from kubeserve.db import create_engine, create_sessionmaker
from kubeserve.deployments.endpoints import router as deployments_router
from kubeserve.deployments.gateway import Gateway
from kubeserve.deployments.gateway_asgi import OPENAPI_PATHS, GatewayFront
from kubeserve.deployments.reconciler import Reconciler
from kubeserve.disk import prepare_data_dir, sweep_orphans
from kubeserve.errors import KubeServeError
from kubeserve.observability.endpoints import router as observability_router
from kubeserve.observability.http import HttpMetrics
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.observability.requestlog import RequestLog
from kubeserve.observability.sampler import Sampler
from kubeserve.registry.build import Builder
from kubeserve.registry.endpoints import router as registry_router
from kubeserve.runtime import build_runtime, sandbox
from kubeserve.runtime.base import Runtime
from kubeserve.security import PasswordHasher
from kubeserve.storage import build_store

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The control plane; `runtime` replaces the one `KUBESERVE_RUNTIME` names (tests: a fake)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare_data_dir(settings)
        settings.metrics_token  # noqa: B018 (when unset, generated now: Prometheus' config reads the file)
        engine = create_engine(settings.sqlalchemy_url)
        await migrations.upgrade(engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.store = build_store(settings)
        app.state.metrics = ControlPlaneMetrics()
        app.state.login_throttle = LoginThrottle(
            settings.login_max_failures,
            settings.login_back_off_seconds,
            settings.login_back_off_max_seconds,
            settings.login_address_max_failures,
        )
        hasher = PasswordHasher(settings.password_hash_workers, settings.password_hash_queue)
        app.state.password_hasher = hasher
        app.state.api_key_cache = ApiKeyCache()
        active = app.state.runtime = runtime or build_runtime(settings, app.state.store)
        app.state.builder = Builder(
            settings, app.state.store, app.state.sessionmaker, app.state.metrics, active
        )
        app.state.sampler = Sampler(settings, active, app.state.metrics)
        log_dir, log_bytes = settings.data_dir / "request-logs", int(settings.request_log_max_mb * 2**20)
        app.state.request_log = RequestLog(log_dir, log_bytes, settings.request_log)
        app.state.reconciler = Reconciler(
            settings, active, app.state.store, app.state.sessionmaker, app.state.metrics
        )
        app.state.gateway = Gateway(settings, active, app.state.sessionmaker, app.state.api_key_cache)
        await sweep_orphans(settings, app.state.sessionmaker)
        await app.state.builder.resume()
        await app.state.reconciler.start()
        app.state.sampler.start()
        app.state.request_log.start()
        log.info("KubeServe control plane ready at %s", settings.base_url)
        (log.info if sandbox.contained(settings) else log.warning)("sandbox: %s", sandbox.describe(settings))
        try:
            yield
        finally:
            await app.state.gateway.close()
            await app.state.request_log.close()
            await app.state.sampler.close()
            await app.state.builder.close()  # before the runtime closes: a cancelled build cleans up
            await app.state.reconciler.close()
            await engine.dispose()
            app.state.password_hasher.close()

    # Swagger UI and ReDoc served from the package (fastapi-offline), never from a CDN.
    app = FastAPIOffline(
        title="KubeServe",
        version="0.1.0",
        description="Upload a scikit-learn model, get a secure, scalable prediction endpoint.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.include_router(accounts_router, prefix=API_PREFIX)
    app.include_router(browser.router, prefix=API_PREFIX)
    app.include_router(registry_router, prefix=API_PREFIX)
    app.include_router(deployments_router, prefix=API_PREFIX)
    app.include_router(admin_router, prefix=API_PREFIX)
    app.include_router(observability_router)
    _install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_kb * 1024)
    app.add_middleware(HttpMetrics, state=app.state)  # inside the gateway front: API requests only
    app.add_middleware(GatewayFront, state=app.state)
    _document_gateway(app)
    openapi.install(app)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    async def health() -> dict[str, str]:
        """Liveness of the control plane."""
        return {"status": "ok"}

    dashboard.mount(app, settings.dashboard_out)  # last: its catch-all must not shadow the API
    return app


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids (the typed dashboard client is generated from them)."""
    return route.name


def _document_gateway(app: FastAPI) -> None:
    """The gateway is served before FastAPI's router; list its paths in the OpenAPI page."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        schema = original()
        schema["paths"].update(OPENAPI_PATHS)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KubeServeError)
    async def _kubeserve_error(_: Request, exc: KubeServeError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, 422)
