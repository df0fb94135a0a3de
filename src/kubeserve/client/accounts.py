"""Accounts: health, registration, login, and the API keys that authorize predictions."""

from __future__ import annotations

from kubeserve.client.transport import Session
from kubeserve.client.types import ApiKey, Token, User


class AccountsAPI(Session):
    """`Client` methods for `/health`, `/auth`, `/me` and `/api-keys`."""

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

    def logout(self) -> None:
        """Log out everywhere: every access token of this user stops working (API keys do not)."""
        self._call("POST", "/auth/logout")
        self.token = None

    def me(self) -> User:
        return self._call("GET", "/me")

    def create_api_key(self, name: str) -> ApiKey:
        """A new API key; its secret (`key`) is in this answer only."""
        return self._call("POST", "/api-keys", json={"name": name})

    def list_api_keys(self) -> list[ApiKey]:
        return self._call("GET", "/api-keys")

    def revoke_api_key(self, key_id: int) -> None:
        self._call("DELETE", f"/api-keys/{key_id}")
