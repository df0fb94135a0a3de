"""Administration: users and their quotas (admins only; others get a 403 `KubeServeAPIError`)."""

from __future__ import annotations

from collections.abc import Mapping

from kubeserve.client.transport import Session
from kubeserve.client.types import AdminUser


class AdminAPI(Session):
    """`Client` methods for `/admin`."""

    def admin_users(self) -> list[AdminUser]:
        """Every user with their effective quota and what their deployments hold."""
        return self._call("GET", "/admin/users")

    def admin_user(self, user_id: int) -> AdminUser:
        return self._call("GET", f"/admin/users/{user_id}")

    def set_quota(self, user_id: int, changes: Mapping[str, str | int | None]) -> AdminUser:
        """Set some of `cpu` ("4", "500m"), `memory` ("8Gi") and `pods`; None resets one."""
        return self._call("PATCH", f"/admin/users/{user_id}/quota", json=dict(changes))

    def reset_quota(self, user_id: int) -> AdminUser:
        """Back to the platform default."""
        return self._call("DELETE", f"/admin/users/{user_id}/quota")
