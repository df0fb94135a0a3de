"""Prometheus' side of the API: the control plane's /metrics, replica discovery and metrics.

Every route here takes the scrape token (`Authorization: Bearer ...`, KUBESERVE_SCRAPE_TOKEN),
never a user's login: Prometheus is not a user, and sees no replica's own token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kubeserve.errors import Unauthorized
from kubeserve.observability.metrics import ControlPlaneMetrics

bearer = HTTPBearer(auto_error=False, scheme_name="ScrapeToken")


def check_scrape_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    expected = request.app.state.settings.metrics_token
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("send the scrape token as a bearer token (KUBESERVE_SCRAPE_TOKEN)")


router = APIRouter(tags=["observability"], dependencies=[Depends(check_scrape_token)])


@router.get("/metrics", response_class=Response)
async def control_plane_metrics(request: Request) -> Response:
    """The control plane's own metrics (Prometheus text format)."""
    metrics: ControlPlaneMetrics = request.app.state.metrics
    return Response(metrics.render(), media_type=metrics.content_type)
