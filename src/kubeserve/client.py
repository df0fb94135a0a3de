"""The Python SDK: `kubeserve.Client` speaks the control plane's v1 HTTP API.

Every method is one HTTP call (the `wait_for_*` helpers poll) and returns the JSON the
server sent, typed as a `TypedDict`. Every failure is a `KubeServeError`; the CLI is a thin
layer over this class, so scripts and the command line share one code path.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypedDict

import httpx

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
    "Model",
    "Version",
    "Deployment",
    "Release",
]

DEFAULT_URL = "http://127.0.0.1:8000"
Progress = Callable[[int, int], None]
"""Upload progress callback: `(bytes_sent, bytes_total)`."""


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


class User(TypedDict):
    id: int
    email: str
    role: str
    created_at: str


class Token(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


class ApiKey(TypedDict, total=False):
    id: int
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None
    key: str  # only in the answer to `create_api_key`


class Model(TypedDict):
    id: int
    name: str
    type: str
    description: str
    created_at: str
    updated_at: str


class Version(TypedDict):
    id: int
    model_id: int
    version_tag: str
    status: str  # Pending, Building, Ready, Failed
    s3_path: str | None
    sha256: str | None
    size_bytes: int | None
    signature: dict[str, Any] | None
    error: str | None
    created_at: str
    updated_at: str


class Deployment(TypedDict):
    id: int
    name: str
    url: str
    model_id: int
    model_name: str
    version_id: int
    version_tag: str
    release: int
    replicas: int
    autoscaling: dict[str, Any] | None
    public: bool
    status: str  # Pending, Starting, Running, Failed
    error: str | None
    ready_replicas: int
    desired_replicas: int
    instances: list[dict[str, Any]]
    created_at: str
    updated_at: str


class Release(TypedDict):
    id: int
    revision: int
    version_id: int
    status: str  # Pending, Active, Superseded, Failed
    reason: str | None
    created_at: str


class _CountingReader:
    """A binary file that reports how many bytes httpx has read from it (streamed, not loaded)."""

    def __init__(self, file: IO[bytes], on_read: Callable[[], None]) -> None:
        self.file, self.on_read, self.count = file, on_read, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.count += len(chunk)
        self.on_read()
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.file.seek(offset, whence)
        self.count = position
        return position

    def tell(self) -> int:
        return self.file.tell()

    def fileno(self) -> int:
        return self.file.fileno()


class Client:
    """A KubeServe control plane at `url`, as a user (`token`) or for predictions (`api_key`).

    `url` defaults to `$KUBESERVE_URL`, else http://127.0.0.1:8000.

    >>> ks = Client("http://127.0.0.1:8000")
    >>> ks.login("ada@example.com", "correct horse battery")  # keeps the token
    >>> ks.predict("iris-0a1b2c3d4e", [[5.1, 3.5, 1.4, 0.2]])
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("KUBESERVE_URL") or DEFAULT_URL).rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.url}/api/v1", transport=transport, timeout=httpx.Timeout(timeout, connect=5.0)
        )
        self.token, self.api_key = token, api_key

    @property
    def token(self) -> str | None:
        """The bearer token sent with every request (set by `login`)."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._set_header("Authorization", f"Bearer {value}" if value else None)

    @property
    def api_key(self) -> str | None:
        """An API key (`ks_...`), sent as `X-API-Key`; it authorizes predictions only."""
        return self._api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._api_key = value
        self._set_header("X-API-Key", value)

    def _set_header(self, name: str, value: str | None) -> None:
        if value:
            self._http.headers[name] = value
        else:
            self._http.headers.pop(name, None)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; error statuses and transport failures become `KubeServeError`s."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise KubeServeConnectionError(self.url, exc) from exc
        if response.is_error:
            try:
                detail = response.json().get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text.strip() or response.reason_phrase
            raise KubeServeAPIError(response.status_code, detail, response.request.url.path)
        return response.json() if response.content else None

    # accounts
    def health(self) -> dict[str, str]:
        """The control plane's health check; raises `KubeServeConnectionError` if it is down."""
        return self._call("GET", "/health")

    def register(self, email: str, password: str) -> User:
        """Create an account (does not log in)."""
        return self._call("POST", "/auth/register", json={"email": email, "password": password})

    def login(self, email: str, password: str) -> Token:
        """Exchange credentials for a bearer token, and use it from now on."""
        token = self._call("POST", "/auth/login", json={"email": email, "password": password})
        self.token = token["access_token"]
        return token

    def me(self) -> User:
        return self._call("GET", "/me")

    def create_api_key(self, name: str) -> ApiKey:
        """A new API key; its secret (`key`) is in this answer only."""
        return self._call("POST", "/api-keys", json={"name": name})

    def list_api_keys(self) -> list[ApiKey]:
        return self._call("GET", "/api-keys")

    def revoke_api_key(self, key_id: int) -> None:
        self._call("DELETE", f"/api-keys/{key_id}")

    # models and versions
    def create_model(self, name: str, type: str = "sklearn", description: str = "") -> Model:
        body = {"name": name, "type": type, "description": description}
        return self._call("POST", "/models", json=body)

    def list_models(self) -> list[Model]:
        """All your models (every page)."""
        models: list[Model] = []
        while page := self._call("GET", "/models", params={"limit": 500, "offset": len(models)}):
            models.extend(page)
            if len(page) < 500:
                break
        return models

    def find_model(self, name: str) -> Model | None:
        """Your model called `name`, or None."""
        return next((m for m in self.list_models() if m["name"] == name), None)

    def get_model(self, model_id: int) -> Model:
        return self._call("GET", f"/models/{model_id}")

    def update_model(
        self, model_id: int, *, type: str | None = None, description: str | None = None
    ) -> Model:
        body = _present(type=type, description=description)
        return self._call("PATCH", f"/models/{model_id}", json=body)

    def delete_model(self, model_id: int) -> None:
        """Delete a model with its versions and artifacts."""
        self._call("DELETE", f"/models/{model_id}")

    def create_version(self, model_id: int, version_tag: str) -> Version:
        """An empty version (`Pending`) to `upload` into."""
        body = {"version_tag": version_tag}
        return self._call("POST", f"/models/{model_id}/versions", json=body)

    def list_versions(self, model_id: int) -> list[Version]:
        return self._call("GET", f"/models/{model_id}/versions")

    def get_version(self, version_id: int) -> Version:
        return self._call("GET", f"/versions/{version_id}")

    def delete_version(self, version_id: int) -> None:
        self._call("DELETE", f"/versions/{version_id}")

    def upload(
        self,
        version_id: int,
        model_file: str | Path,
        requirements_file: str | Path | None = None,
        progress: Progress | None = None,
    ) -> Version:
        """Stream the model file (and requirements.txt) to the version; it becomes `Building`.

        `progress(sent, total)` is called as bytes leave, for a progress bar.
        """
        paths = {"model_file": Path(model_file)}
        if requirements_file is not None:
            paths["requirements_file"] = Path(requirements_file)
        total = sum(p.stat().st_size for p in paths.values())
        readers: list[_CountingReader] = []

        def report() -> None:
            if progress is not None:
                progress(min(sum(r.count for r in readers), total), total)

        with contextlib.ExitStack() as stack:
            files = {}
            for field, path in paths.items():
                reader = _CountingReader(stack.enter_context(path.open("rb")), report)
                files[field] = (path.name, reader)
                readers.append(reader)
            return self._call(
                "POST",
                f"/versions/{version_id}/upload",
                files=files,
                timeout=httpx.Timeout(300.0, connect=5.0),
            )

    def download_artifact(self, version_id: int, destination: str | Path) -> Path:
        """Save the version's model file to `destination`."""
        destination = Path(destination)
        try:
            with self._http.stream("GET", f"/versions/{version_id}/artifact") as response:
                if response.is_error:
                    response.read()
                    raise KubeServeAPIError(response.status_code, response.json().get("detail"))
                with destination.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise KubeServeConnectionError(self.url, exc) from exc
        return destination

    def wait_for_version(self, version_id: int, timeout: float = 600.0, interval: float = 0.5) -> Version:
        """Poll until the build is done: the `Ready` version, or `BuildFailed`."""
        deadline = time.monotonic() + timeout
        while True:
            version = self.get_version(version_id)
            tag, status = version["version_tag"], version["status"]
            if status == "Ready":
                return version
            if status == "Failed":
                raise BuildFailed(version)
            if status == "Pending":
                raise KubeServeError(f"version {tag} has no artifact: upload one first")
            if time.monotonic() > deadline:
                raise KubeServeTimeout(f"version {tag} still building after {timeout:.0f} s")
            time.sleep(interval)

    # deployments
    def create_deployment(
        self,
        version_id: int,
        replicas: int = 1,
        *,
        public: bool = False,
        autoscaling: dict[str, Any] | None = None,
    ) -> Deployment:
        """Deploy a `Ready` version; it starts `Pending` (see `wait_for_deployment`).

        `autoscaling`: `{"min": 1, "max": 3, "target_in_flight": 4}`; replicas then follow load.
        """
        body = {
            "version_id": version_id,
            "replicas": replicas,
            "public": public,
            **_present(autoscaling=autoscaling),
        }
        return self._call("POST", "/deployments", json=body)

    def list_deployments(self) -> list[Deployment]:
        return self._call("GET", "/deployments")

    def get_deployment(self, deployment_id: int) -> Deployment:
        return self._call("GET", f"/deployments/{deployment_id}")

    def update_deployment(
        self,
        deployment_id: int,
        *,
        version_id: int | None = None,
        replicas: int | None = None,
        public: bool | None = None,
    ) -> Deployment:
        """`version_id` rolls out a new release (zero downtime); `replicas` scales."""
        body = _present(version_id=version_id, replicas=replicas, public=public)
        return self._call("PATCH", f"/deployments/{deployment_id}", json=body)

    def delete_deployment(self, deployment_id: int) -> None:
        """Stop every replica; the URL answers 404 afterwards."""
        self._call("DELETE", f"/deployments/{deployment_id}")

    def list_releases(self, deployment_id: int) -> list[Release]:
        """Release history, newest first."""
        return self._call("GET", f"/deployments/{deployment_id}/releases")

    def rollback(self, deployment_id: int) -> Deployment:
        """Roll back to the previous good release (as a new release)."""
        return self._call("POST", f"/deployments/{deployment_id}/rollback")

    def logs(self, deployment_id: int, tail: int = 100) -> list[str]:
        """The last `tail` log lines of the deployment's replicas."""
        answer = self._call("GET", f"/deployments/{deployment_id}/logs", params={"tail": tail})
        return answer["lines"]

    def version_deployments(self, version_id: int) -> list[Deployment]:
        return self._call("GET", f"/versions/{version_id}/deployments")

    def wait_for_deployment(
        self, deployment_id: int, timeout: float = 300.0, release: int | None = None, interval: float = 0.5
    ) -> Deployment:
        """Poll until the deployment is `Running` and serving `release` (default: its current).

        Raises `DeploymentFailed` when it fails or that release's rollout fails (the previous
        release then keeps serving), and `KubeServeTimeout` after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get_deployment(deployment_id)
            release = release or deployment["release"]
            if deployment["status"] == "Failed" or deployment["release"] != release:
                raise DeploymentFailed(deployment, deployment["error"])
            if deployment["status"] == "Running":
                releases = self.list_releases(deployment_id)
                ours = next(r for r in releases if r["revision"] == release)
                if ours["status"] == "Failed":
                    raise DeploymentFailed(deployment, ours["reason"])
                if ours["status"] == "Active":
                    return deployment
            if time.monotonic() > deadline:
                state = f"{deployment['status']} (release {release} not serving yet)"
                raise KubeServeTimeout(f"{deployment['name']} is {state} after {timeout:.0f} s")
            time.sleep(interval)

    # predictions
    def predict(self, deployment: str, data: Any) -> list[Any]:
        """Predictions of a deployment (its name or URL) for rows: `[[...]]`, numpy or pandas."""
        if hasattr(data, "to_numpy"):
            data = data.to_numpy()
        if hasattr(data, "tolist"):
            data = data.tolist()
        is_url = deployment.startswith(("http://", "https://"))
        answer = self._call("POST", deployment if is_url else f"/predict/{deployment}", json={"data": data})
        return answer["predictions"]


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (PATCH bodies leave the others unchanged)."""
    return {k: v for k, v in fields.items() if v is not None}
