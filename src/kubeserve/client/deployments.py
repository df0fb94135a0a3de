"""Deployments: create, scale, roll out and back, read logs, and wait until one serves."""

from __future__ import annotations

import time
from typing import Any

from kubeserve.client.errors import DeploymentFailed, KubeServeTimeout
from kubeserve.client.transport import Session, present
from kubeserve.client.types import Deployment, Release, RequestLogPage, Stats


class DeploymentsAPI(Session):
    """`Client` methods for `/deployments` (and a version's deployments)."""

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
            **present(autoscaling=autoscaling),
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
        body = present(version_id=version_id, replicas=replicas, public=public)
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

    def request_logs(self, deployment_id: int, tail: int = 100, since: int | None = None) -> RequestLogPage:
        """The deployment's last `tail` prediction requests, or those after cursor `since`.

        Pass the answer's `cursor` as `since` next time to get only newer requests.
        """
        params = present(tail=tail, since=since)
        answer = self._call("GET", f"/deployments/{deployment_id}/logs", params=params)
        return {"requests": answer["requests"], "cursor": answer["cursor"]}

    def stats(self, deployment_id: int, window: str = "5m") -> Stats:
        """Requests, rate, errors, latency p50/p95/p99 (ms), replicas, CPU and memory per replica
        over `window` (`30s`, `5m`, `1h`), computed by the control plane."""
        return self._call("GET", f"/deployments/{deployment_id}/stats", params={"window": window})

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
