"""The README's "From a model file to a URL" section, run as written against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import PASSWORD
from tests.fixtures.control_plane import ControlPlane

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## From a model file to a URL"
DOC_URL = "http://127.0.0.1:8000"
pytestmark = pytest.mark.slow


def blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_readme_section_runs_as_written(
    control_plane: ControlPlane, tmp_path: Path, iris_model: Path, iris_requirements: Path
) -> None:
    (bash,) = blocks("bash")
    (python,) = blocks("python")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.prefix))  # `source .venv/bin/activate` as in a clone
    (work / "model.joblib").write_bytes(iris_model.read_bytes())
    (work / "requirements.txt").write_text(iris_requirements.read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESERVE_")}
    env |= {"KUBESERVE_CONFIG_DIR": str(tmp_path / "config"), "KUBESERVE_PASSWORD": PASSWORD}

    script = "set -euo pipefail\n" + bash.replace(DOC_URL, control_plane.url)
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    out = done.stdout
    assert "iris v1 is live (release 1" in out and "iris v2 is live (release 2" in out
    assert "\n0\n2\n" in out  # the two predictions
    assert re.search(r"Rolled iris-\w+ back to v1 \(release 3\)", out)
    assert re.search(r"Deleted deployment iris-\w+", out) and "Traceback" not in done.stderr

    sdk = subprocess.run(
        [sys.executable, "-c", python.replace(DOC_URL, control_plane.url)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == "[0]"
