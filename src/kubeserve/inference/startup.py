"""Start-up after the artifact is fetched and verified: install, load, warm, then ready.

Each step is timed and logged. Any failure leaves the server not ready with the reason;
the data plane exists only once every step has passed, so a half-loaded model never serves.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubeserve.inference.dataplane import DataPlane
    from kubeserve.inference.metrics import Metrics

log = logging.getLogger("kubeserve.inference")

# Slower predictions run in a worker thread so the event loop keeps reading requests.
INLINE_BELOW_SECONDS = 0.001
# Set by a launcher that turned garbage collection off at process start (`__main__`):
# `start` turns it back on once the model is loaded and frozen.
resume_gc = False


@dataclass
class StartupPlan:
    """What to load and how to serve it."""

    name: str
    version: str
    artifact: Path
    requirements: str | None
    code: Path | None  # the user's shipped code (code.zip), if any
    packages_dir: Path
    pip_index_url: str | None
    max_batch_size: int
    max_batch_wait_ms: float


class ServerState:
    """Readiness as /ready reports it: `loading` (current step), `ready` or `failed` (reason)."""

    def __init__(self) -> None:
        self.status = "loading"
        self.detail = "starting"
        self.dataplane: DataPlane | None = None

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        self.detail = what
        start = time.perf_counter()
        yield
        log.info("start-up: %s took %.1f ms", what, (time.perf_counter() - start) * 1000)


def _load(plan: StartupPlan, state: ServerState) -> Any:
    """The blocking steps, run in a thread; numpy and the model's libraries load here."""
    from kubeserve.inference import installer
    from kubeserve.inference.pickle_scan import scan_file

    with state.step("reading the artifact's scikit-learn version"):
        recorded = scan_file(plan.artifact, until_version=True).sklearn_version
    with state.step("installing requirements"):
        for note in installer.ensure(
            plan.requirements or "", plan.packages_dir, recorded, plan.pip_index_url
        ):
            log.info("requirements: %s", note)
    from kubeserve.inference import shipped
    from kubeserve.inference.model import SklearnModel

    modules = shipped.activate(plan.code) if plan.code is not None else []
    with state.step("loading the model"):
        model = SklearnModel.load(plan.artifact, modules)
    with state.step("warming up"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an all-zero row may make a model warn
        model.warm_up()
    return model


def _probe(model: Any) -> frozenset[str]:
    from kubeserve.inference.merge import exact_methods

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # made-up rows: log(0) and the like
        return exact_methods(model)


async def start(plan: StartupPlan, state: ServerState, metrics: Metrics, arriving: Callable[[], int]) -> None:
    """Run every step; on success publish the data plane, else record why not."""
    began = time.perf_counter()
    # Importing the model's libraries creates ~250k long-lived objects and almost no garbage;
    # the collections they trigger cost ~15% of the load. Paused until they are frozen below.
    collecting = gc.isenabled() or resume_gc
    gc.disable()
    try:
        model = await asyncio.to_thread(_load, plan, state)
        from kubeserve.inference.batching import AdaptiveBatcher
        from kubeserve.inference.dataplane import DataPlane

        inline = model.predict_seconds < INLINE_BELOW_SECONDS
        batcher = AdaptiveBatcher(
            model.predict,
            plan.max_batch_size,
            plan.max_batch_wait_ms / 1000,
            inline,
            arriving,
            metrics.batch_size.observe,
            frozenset(),
        )
        state.dataplane = DataPlane(plan.name, plan.version, model, batcher)
    except Exception as exc:
        state.status, state.detail = "failed", f"{state.detail} failed: {exc}"
        log.error("start-up failed: %s", state.detail, exc_info=not _expected(exc))
        return
    finally:
        gc.freeze()  # the libraries' objects: no collection walks them again
        if collecting:
            gc.enable()
    state.status, state.detail = "ready", "ready"
    log.info(
        "model %r ready in %.0f ms (predict %.2f ms, %s)",
        plan.name,
        (time.perf_counter() - began) * 1000,
        model.predict_seconds * 1000,
        "inline" if inline else "in a worker thread",
    )
    # Off the cold-start path: until this answers, requests are predicted one by one (exact).
    batcher.exact = await asyncio.to_thread(_probe, model)
    log.info(
        "requests merged into one predict for: %s",
        ", ".join(sorted(batcher.exact)) or "no method (answers would differ in the last bits)",
    )


def _expected(exc: Exception) -> bool:
    from kubeserve.inference.installer import InstallError
    from kubeserve.inference.model import ModelLoadError
    from kubeserve.inference.pickle_scan import NotAPickle
    from kubeserve.inference.requirements import RequirementsError

    return isinstance(exc, InstallError | ModelLoadError | NotAPickle | RequirementsError)
