"""A real control plane (child process) serving the built dashboard, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.browser import browser_session
from tests.fixtures.control_plane import ControlPlane

MAX_MODEL_MB = 2


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from browser_session()


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: the browser tests exercise the dashboard, not the database backends."""
    return sqlite_database_url


@pytest.fixture
def dashboard_plane(tmp_path: Path, database_url: str) -> Iterator[ControlPlane]:
    """The control plane with a small model limit, so a refused file is cheap to make."""
    plane = ControlPlane(tmp_path / "data", database_url, KUBESERVE_MAX_MODEL_SIZE_MB=str(MAX_MODEL_MB))
    plane.start()
    yield plane
    plane.stop()
