"""`promtool check metrics` (Debian's prometheus package) on an exporter's text."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def assert_promtool_clean(exposition: str) -> None:
    """Fail with promtool's findings unless the exposition follows Prometheus' conventions."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: apt-get install prometheus (.ci/run does)")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=exposition, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
