"""The SDK's exceptions: every failure a `Client` call raises is a `KubeServeError`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from kubeserve.client.types import Deployment, Version


class KubeServeError(Exception):
    """Base of every error the SDK raises."""


class KubeServeAPIError(KubeServeError):
    """The control plane answered with an error status; `detail` is its `{"detail": ...}`."""

    def __init__(self, status: int, detail: Any, path: str | None = None) -> None:
        self.status, self.detail, self.path = status, detail, path
        super().__init__(f"{_format_detail(detail)} (HTTP {status})")


class KubeServeConnectionError(KubeServeError):
    """The control plane could not be reached, or did not answer."""

    def __init__(self, url: str, cause: httpx.TransportError) -> None:
        self.url = url
        if isinstance(cause, httpx.ConnectError):
            message = f"cannot reach {url}: is `kubeserve server` running?"
        else:
            message = f"{url} did not answer: {type(cause).__name__} {cause}".strip()
        super().__init__(message)


class KubeServeTimeout(KubeServeError, TimeoutError):
    """A `wait_for_*` helper gave up."""


class BuildFailed(KubeServeError):
    """The version's build ended `Failed`; `version["error"]` says why."""

    def __init__(self, version: Version) -> None:
        self.version = version
        super().__init__(f"build of {version['version_tag']} failed: {version.get('error')}")


class DeploymentFailed(KubeServeError):
    """The deployment, or the release being rolled out, failed; `deployment["error"]` says why."""

    def __init__(self, deployment: Deployment, reason: str | None) -> None:
        self.deployment = deployment
        super().__init__(f"deployment {deployment['name']} failed: {reason or 'no reason given'}")


def _format_detail(detail: Any) -> str:
    """FastAPI validation errors (a list of {loc, msg}) as one readable line."""
    if isinstance(detail, list) and all(isinstance(e, dict) and "msg" in e for e in detail):
        where = (".".join(str(p) for p in e.get("loc", [])[1:]) or "request" for e in detail)
        return "; ".join(f"{at}: {e['msg']}" for at, e in zip(where, detail, strict=True))
    return detail if isinstance(detail, str) else json.dumps(detail)
