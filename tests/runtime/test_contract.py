"""The runtime contract, run against every backend: fake (in memory), local (real child
processes) and kubernetes (against the stand-in API server, real model-server processes).

Only what `Runtime` promises is asserted here; each backend's own behaviour has its own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from kubeserve.runtime.base import BuildAnswer, BuildSpec, DeploymentSpec, Phase, Runtime, RuntimeStatus
from kubeserve.runtime.fake import FakeRuntime
from tests.runtime.helpers import make_spec, observed, predict, wait_status


@dataclass
class Backend:
    runtime: Runtime
    model: Path
    real: bool  # real replicas answer predictions through `upstream`
    uris: dict[Path, tuple[str, str]] | None = None  # where the store keeps models (Kubernetes: S3)

    def spec(self, name: str, release: int = 1, replicas: int = 1) -> DeploymentSpec:
        spec = make_spec(name, self.model, release=release, replicas=replicas)
        if self.uris is not None:
            artifact, requirements = self.uris[self.model]
            spec = replace(spec, artifact_uri=artifact, requirements_uri=requirements)
        return spec

    def build_spec(self, model: Path, version_id: int) -> BuildSpec:
        spec = make_spec("build", model)  # writes a requirements.txt beside a local model
        artifact, requirements = (
            self.uris[model] if self.uris is not None else (spec.artifact_uri, spec.requirements_uri)
        )
        return BuildSpec(
            owner_id=1, version_id=version_id, artifact_uri=artifact, requirements_uri=requirements
        )


@pytest.fixture(
    params=[
        "fake",
        pytest.param("local", marks=pytest.mark.slow),
        pytest.param("kubernetes", marks=pytest.mark.slow),
    ]
)
def backend(request: pytest.FixtureRequest, iris_model: Path, garbage_model: Path) -> Backend:
    if request.param == "fake":
        fake = FakeRuntime()  # builds answer what the test sets
        fake.answers[f"file://{iris_model}"] = BuildAnswer(ok=True, signature={"n_features_in": 4})
        fake.answers[f"file://{garbage_model}"] = BuildAnswer.failed("not a pickle: invalid load key")
        return Backend(fake, iris_model, real=False)
    if request.param == "kubernetes":
        kube, uris = request.getfixturevalue("kube_runtime")
        return Backend(kube, iris_model, real=True, uris=uris)
    # The session's runtime of that backend: closing it is the session's business.
    return Backend(request.getfixturevalue("runtime"), iris_model, real=True)


def serving(release: int, ready: int) -> Callable[[RuntimeStatus], bool]:
    return lambda s: s.phase is Phase.RUNNING and s.release == release and s.ready_replicas == ready


async def answers(backend: Backend, http: httpx.AsyncClient, name: str) -> bool:
    target = backend.runtime.upstream(name)
    assert target is not None, "a Running deployment must have an upstream"
    if not backend.real:
        return True
    answer = await predict(http, target)
    assert answer.status_code == 200, f"{target.address}: {answer.status_code} {answer.text}"
    return bool(answer.json() == {"predictions": [0]})


async def test_apply_runs_serves_and_is_idempotent(
    backend: Backend, http: httpx.AsyncClient, name: str
) -> None:
    runtime = backend.runtime
    await runtime.apply(backend.spec(name))
    status = await wait_status(runtime, name, serving(1, 1), "release 1 running")
    assert status.desired_replicas == 1 and status.failed_release is None
    assert name in await runtime.observe()
    assert await answers(backend, http, name)
    await runtime.apply(backend.spec(name))  # the same desired state: nothing moves
    assert (await observed(runtime, name)).release == 1
    assert all(isinstance(line, str) for line in await runtime.logs(name, 10))
    await runtime.delete(name)


async def test_apply_rescales(backend: Backend, http: httpx.AsyncClient, name: str) -> None:
    runtime = backend.runtime
    await runtime.apply(backend.spec(name))
    await wait_status(runtime, name, serving(1, 1), "one replica")
    await runtime.apply(backend.spec(name, replicas=2))
    status = await wait_status(runtime, name, serving(1, 2), "two replicas")
    assert status.desired_replicas == 2
    await runtime.apply(backend.spec(name, replicas=1))
    await wait_status(runtime, name, lambda s: serving(1, 1)(s) and s.desired_replicas == 1, "one again")
    assert await answers(backend, http, name)
    await runtime.delete(name)


async def test_a_new_release_rolls_out_and_a_stale_one_is_ignored(
    backend: Backend, http: httpx.AsyncClient, name: str
) -> None:
    runtime = backend.runtime
    await runtime.apply(backend.spec(name))
    await wait_status(runtime, name, serving(1, 1), "release 1")
    await runtime.apply(backend.spec(name, release=2))
    await wait_status(runtime, name, serving(2, 1), "release 2 serving")
    assert await answers(backend, http, name)
    await runtime.apply(backend.spec(name, release=1))  # stale: a late retry
    assert (await observed(runtime, name)).release == 2
    await runtime.delete(name)


async def test_delete_forgets_and_unknown_names_are_stopped(backend: Backend, name: str) -> None:
    runtime = backend.runtime
    assert (await observed(runtime, name)).phase is Phase.STOPPED
    assert runtime.upstream(name) is None and await runtime.logs(name, 5) == []
    await runtime.delete(name)  # unknown: fine
    await runtime.apply(backend.spec(name))
    await wait_status(runtime, name, serving(1, 1), "running")
    await runtime.delete(name)
    await wait_status(runtime, name, lambda s: s.phase is Phase.STOPPED, "gone")
    assert runtime.upstream(name) is None and await runtime.logs(name, 5) == []
    await runtime.delete(name)  # twice: fine


async def test_a_build_answers_with_the_signature_or_a_reason(backend: Backend, garbage_model: Path) -> None:
    """Builds run where replicas run (local: sandboxed children; Kubernetes: a pod each)."""
    good = await backend.runtime.build(backend.build_spec(backend.model, version_id=901))
    assert good.ok and good.error is None, good
    assert good.signature is not None and good.signature["n_features_in"] == 4
    bad = await backend.runtime.build(backend.build_spec(garbage_model, version_id=902))
    assert not bad.ok and bad.signature is None
    assert bad.error is not None and "pickle" in bad.error.lower(), bad.error
