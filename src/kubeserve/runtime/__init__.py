"""Runtimes: where deployments run. The contract is in `base`; `build_runtime` picks a backend.

Backends are imported lazily: `runtime.process` (shared with the build) must stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubeserve.config import Settings
    from kubeserve.runtime.base import Runtime
    from kubeserve.storage import ArtifactStore


def build_runtime(settings: Settings, store: ArtifactStore) -> Runtime:
    """The backend `KUBESERVE_RUNTIME` names."""
    if settings.runtime == "kubernetes":
        from kubeserve.runtime.kubernetes import KubernetesRuntime

        return KubernetesRuntime(settings, store)
    from kubeserve.runtime.local import LocalRuntime

    return LocalRuntime(settings, store)
