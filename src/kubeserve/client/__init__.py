"""The Python SDK: `kubeserve.Client` speaks the control plane's v1 HTTP API.

Every method is one HTTP call (the `wait_for_*` helpers poll) and returns the JSON the
server sent, typed as a `TypedDict`. Every failure is a `KubeServeError`; the CLI is a thin
layer over this class, so scripts and the command line share one code path.

One module per API area (`accounts`, `registry`, `artifacts`, `deployments`,
`predictions`, `admin`), each a mixin over the shared HTTP `Session` in `transport`; `Client` is
their sum.
"""

from __future__ import annotations

from kubeserve.client.accounts import AccountsAPI
from kubeserve.client.admin import AdminAPI
from kubeserve.client.artifacts import ArtifactsAPI
from kubeserve.client.deployments import DeploymentsAPI
from kubeserve.client.errors import (
    BuildFailed,
    DeploymentFailed,
    KubeServeAPIError,
    KubeServeConnectionError,
    KubeServeError,
    KubeServeTimeout,
)
from kubeserve.client.predictions import PredictionsAPI
from kubeserve.client.registry import RegistryAPI
from kubeserve.client.transport import DEFAULT_URL as DEFAULT_URL  # re-exported, as before the split
from kubeserve.client.types import (
    AdminUser,
    ApiKey,
    Deployment,
    Model,
    Quota,
    Release,
    RequestLogEntry,
    RequestLogPage,
    Stats,
    Token,
    User,
    Version,
)
from kubeserve.client.types import Progress as Progress

__all__ = [
    "Client",
    "KubeServeError",
    "KubeServeAPIError",
    "KubeServeConnectionError",
    "KubeServeTimeout",
    "BuildFailed",
    "DeploymentFailed",
    "User",
    "Token",
    "ApiKey",
    "AdminUser",
    "Quota",
    "Model",
    "Version",
    "Deployment",
    "Release",
    "RequestLogEntry",
    "RequestLogPage",
    "Stats",
]


class Client(AccountsAPI, RegistryAPI, ArtifactsAPI, DeploymentsAPI, PredictionsAPI, AdminAPI):
    """A KubeServe control plane at `url`, as a user (`token`) or for predictions (`api_key`).

    `url` defaults to `$KUBESERVE_URL`, else http://127.0.0.1:8000.

    >>> ks = Client("http://127.0.0.1:8000")
    >>> ks.login("ada@example.com", "correct horse battery")  # keeps the token
    >>> ks.predict("iris-0a1b2c3d4e", [[5.1, 3.5, 1.4, 0.2]])
    """
