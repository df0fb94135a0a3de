"""The checked-in dashboards are what grafana/generate.py makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dashboards_are_generated() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "grafana" / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
