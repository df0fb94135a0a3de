"""The model registry: models, their versions, and waiting for a version's build."""

from __future__ import annotations

import time

from kubeserve.client.errors import BuildFailed, KubeServeError, KubeServeTimeout
from kubeserve.client.transport import Session, present
from kubeserve.client.types import Model, Version


class RegistryAPI(Session):
    """`Client` methods for `/models` and `/versions` (uploads are in `ArtifactsAPI`)."""

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
        body = present(type=type, description=description)
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
