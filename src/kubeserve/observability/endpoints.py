"""Prometheus' side of the API: the control plane's /metrics, replica discovery and metrics.

Every route here takes the scrape token (`Authorization: Bearer ...`, KUBESERVE_SCRAPE_TOKEN),
never a user's login: Prometheus is not a user, and sees no replica's own token.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kubeserve.errors import Unauthorized
from kubeserve.observability.discovery import targets
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.observability.sampler import Sampler

bearer = HTTPBearer(auto_error=False, scheme_name="ScrapeToken")


def check_scrape_token(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """`Authorization: Bearer <scrape token>`; a bare token is accepted too (Prometheus 2.x's
    HTTP service discovery sends one unless the config says `type: Bearer`)."""
    given = request.headers.get("authorization", "")
    if given[:7].lower() == "bearer ":
        given = given[7:].strip()
    expected = request.app.state.settings.metrics_token
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("send the scrape token as a bearer token (KUBESERVE_SCRAPE_TOKEN)")


router = APIRouter(tags=["observability"], dependencies=[Depends(check_scrape_token)])


@router.get("/metrics", response_class=Response)
async def control_plane_metrics(request: Request) -> Response:
    """The control plane's own metrics (Prometheus text format)."""
    metrics: ControlPlaneMetrics = request.app.state.metrics
    return Response(metrics.render(), media_type=metrics.content_type)


@router.get("/metrics/targets")
async def discovery(request: Request) -> list[dict[str, Any]]:
    """Prometheus HTTP service discovery: the control plane and every ready replica."""
    host = request.headers.get("host") or request.url.netloc
    return targets(request.app.state.runtime, request.url.scheme, host)


@router.get("/metrics/replicas/{deployment}/{replica}", response_class=Response)
async def replica_metrics(deployment: str, replica: str, request: Request) -> Response:
    """One replica's metrics, read by the control plane (replicas are not reachable)."""
    sampler: Sampler = request.app.state.sampler
    body = await sampler.replica_metrics(deployment, replica)
    return Response(body, media_type=ControlPlaneMetrics.content_type)
