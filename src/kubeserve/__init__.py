"""KubeServe: a Heroku for machine learning.

`kubeserve.Client` is the Python SDK; it is imported on first use, so importing `kubeserve`
(the control plane, the model server) does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubeserve.client import Client, KubeServeAPIError, KubeServeError

__all__ = ["Client", "KubeServeAPIError", "KubeServeError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kubeserve import client

        return getattr(client, name)
    raise AttributeError(f"module 'kubeserve' has no attribute {name!r}")
