"""Wiring: settings -> fetched, verified artifact -> app -> uvicorn. Built here, once.

Fetch and checksum run before the server listens and are fatal (exit non-zero); the later
steps run behind /ready (see `startup`). With several workers the parent fetches once and
each worker loads the model; installs into the shared packages dir take turns (a file lock).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from kubeserve.inference.artifact import fetch, verify
from kubeserve.inference.asgi import Traffic
from kubeserve.inference.metrics import Metrics
from kubeserve.inference.rest import ModelServerApp
from kubeserve.inference.settings import ModelServerSettings
from kubeserve.inference.startup import ServerState, StartupPlan, start

log = logging.getLogger("kubeserve.inference")


def prepare(settings: ModelServerSettings) -> StartupPlan:
    """Fetch the artifact and requirements and verify the checksum; raises ArtifactError."""
    work_dir = settings.work_dir or Path(tempfile.mkdtemp(prefix="kubeserve-model-"))
    began = time.perf_counter()
    artifact = fetch(settings.artifact, work_dir, settings)
    log.info("start-up: fetching the artifact took %.1f ms", (time.perf_counter() - began) * 1000)
    if settings.sha256:
        began = time.perf_counter()
        verify(artifact, settings.sha256)
        log.info("start-up: sha256 verified in %.1f ms", (time.perf_counter() - began) * 1000)
    code = fetch(settings.code, work_dir, settings) if settings.code else None  # beside the artifact
    requirements = None
    if settings.requirements:
        requirements = fetch(settings.requirements, work_dir, settings).read_text(errors="replace")
    return StartupPlan(
        name=settings.name,
        version=settings.version,
        artifact=artifact,
        requirements=requirements,
        code=code,
        packages_dir=settings.packages_dir or work_dir / "packages",
        pip_index_url=settings.pip_index_url,
        install=settings.install,
        max_batch_size=settings.max_batch_size,
        max_batch_wait_ms=settings.max_batch_wait_ms,
    )


def build_app(settings: ModelServerSettings, plan: StartupPlan) -> ModelServerApp:
    """The ASGI app; the model loads in the background once the server starts."""
    state, metrics, traffic = ServerState(settings.stuck_after_seconds), Metrics(), Traffic()
    token = settings.gateway_token.get_secret_value() if settings.gateway_token else None
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    return ModelServerApp(
        state,
        metrics,
        traffic,
        max_body_bytes=settings.max_body_bytes,
        token=token,
        metrics_token=metrics_token,
        on_startup=lambda: start(plan, state, metrics, lambda: traffic.reading),
    )


def app_from_env() -> ModelServerApp:
    """Factory for uvicorn's worker processes: settings from KUBESERVE_MODEL_* variables."""
    settings = ModelServerSettings()  # type: ignore[call-arg]
    return build_app(settings, prepare(settings))


def serve(settings: ModelServerSettings) -> int:
    """Log to stderr, run until stopped; the exit status (3: artifact missing or tampered)."""
    from kubeserve.inference.artifact import ArtifactError

    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        run(settings)
    except ArtifactError as exc:
        logging.getLogger("kubeserve.inference").error("refusing to start: %s", exc)
        return 3
    return 0


def run(settings: ModelServerSettings) -> None:
    """Fetch and verify (fatal on failure), then serve until stopped."""
    import uvicorn

    plan = prepare(settings)
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "server_header": False,
        "date_header": False,
        "lifespan": "on",
        "backlog": 2048,
    }
    if settings.fd is not None:
        options["fd"] = settings.fd
    if settings.workers == 1:
        uvicorn.run(build_app(settings, plan), **options)  # type: ignore[arg-type]
        return
    # Workers re-read settings from the environment: point them at the local copies.
    os.environ.update(
        {
            "KUBESERVE_MODEL_ARTIFACT": str(plan.artifact),
            "KUBESERVE_MODEL_CODE": str(plan.code or ""),
            "KUBESERVE_MODEL_SHA256": "",
            "KUBESERVE_MODEL_PACKAGES_DIR": str(plan.packages_dir),
            "KUBESERVE_MODEL_WORK_DIR": str(plan.artifact.parent),
            "KUBESERVE_MODEL_NAME": settings.name,
            "KUBESERVE_MODEL_VERSION": settings.version,
            "KUBESERVE_MODEL_MAX_BATCH_SIZE": str(settings.max_batch_size),
            "KUBESERVE_MODEL_MAX_BATCH_WAIT_MS": str(settings.max_batch_wait_ms),
            "KUBESERVE_MODEL_MAX_BODY_BYTES": str(settings.max_body_bytes),
        }
    )
    if plan.requirements is not None:
        path = plan.packages_dir.parent / "requirements.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan.requirements)
        os.environ["KUBESERVE_MODEL_REQUIREMENTS"] = str(path)
    if settings.gateway_token:
        os.environ["KUBESERVE_MODEL_GATEWAY_TOKEN"] = settings.gateway_token.get_secret_value()
    if settings.metrics_token:
        os.environ["KUBESERVE_MODEL_METRICS_TOKEN"] = settings.metrics_token.get_secret_value()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kubeserve-prom-"))
    uvicorn.run("kubeserve.inference.server:app_from_env", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
