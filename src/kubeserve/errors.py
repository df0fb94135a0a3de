"""One exception hierarchy; each error carries its HTTP status and is rendered in one place."""

from __future__ import annotations

from typing import Any


class KubeServeError(Exception):
    """Base of every expected error. `detail` is shown to the user as `{"detail": ...}`."""

    status_code: int = 500
    headers: dict[str, str] | None = None

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail if detail is not None else self.__class__.__doc__
        if headers is not None:
            self.headers = headers
        super().__init__(str(self.detail))


class BadRequest(KubeServeError):
    status_code = 400


class Unauthorized(KubeServeError):
    """Not authenticated."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(KubeServeError):
    status_code = 403


class NotFound(KubeServeError):
    status_code = 404


class MethodNotAllowed(KubeServeError):
    """Carries an `Allow` header listing the methods the path does take."""

    status_code = 405


class Conflict(KubeServeError):
    status_code = 409


class PayloadTooLarge(KubeServeError):
    status_code = 413


class UnsupportedMediaType(KubeServeError):
    status_code = 415


class Unprocessable(KubeServeError):
    status_code = 422


class TooManyRequests(KubeServeError):
    status_code = 429


class ServiceUnavailable(KubeServeError):
    status_code = 503
