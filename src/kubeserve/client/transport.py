"""The HTTP session every `Client` method goes through, and where httpx failures become ours.

Error statuses become `KubeServeAPIError`, transport failures `KubeServeConnectionError`
("cannot reach ...: is `kubeserve server` running?"), so no other module handles httpx errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Self

import httpx

from kubeserve.client.errors import KubeServeAPIError, KubeServeConnectionError

DEFAULT_URL = "http://127.0.0.1:8000"


class Session:
    """The connection to one control plane and its credentials; the base of every API area."""

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

    def __enter__(self) -> Self:
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
            raise _api_error(response)
        return response.json() if response.content else None

    def _download(self, path: str, destination: Path) -> None:
        """Stream a GET's body into `destination` (an artifact may not fit in memory)."""
        try:
            with self._http.stream("GET", path) as response:
                if response.is_error:
                    response.read()
                    raise _api_error(response)
                with destination.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise KubeServeConnectionError(self.url, exc) from exc


def _api_error(response: httpx.Response) -> KubeServeAPIError:
    """An error response as `KubeServeAPIError`: its `{"detail": ...}`, else its text."""
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        detail = response.text.strip() or response.reason_phrase
    return KubeServeAPIError(response.status_code, detail, response.request.url.path)


def present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (PATCH bodies leave the others unchanged)."""
    return {k: v for k, v in fields.items() if v is not None}
