"""The README's walk-throughs, run as written against one real server: the curl section, the
CLI section and the SDK block, then all of them again (a used server: nothing collides)."""

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
CURL, CLI = "## 60 seconds with curl", "## From a model file to a URL"
DOC_URL = "http://127.0.0.1:8000"
pytestmark = pytest.mark.slow


def blocks(section: str, language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    assert section in text
    body = text.split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", body, flags=re.DOTALL)


def test_readme_runs_as_written_on_an_empty_then_a_used_server(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.prefix))  # `.venv/bin/...` as in a clone after `make run`
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESERVE_")}
    env |= {"KUBESERVE_CONFIG_DIR": str(tmp_path / "config"), "KUBESERVE_PASSWORD": PASSWORD}

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout

    def bash(script: str) -> str:
        return run("bash", "-c", "set -euo pipefail\n" + script.replace(DOC_URL, control_plane.url))

    curl = "\n".join(blocks(CURL, "bash"))
    (cli,) = blocks(CLI, "bash")
    (sdk,) = blocks(CLI, "python")
    for first in (True, False):
        out = bash(curl)
        assert re.search(r"version \d+ is Ready", out) and re.search(r"deployment \d+ is Running", out)
        assert out.count('{"predictions":[0]}') == 1 and '{"predictions":[2]}' in out
        assert '"model_name":"flowers","model_version":"curl-' in out and '"data":[0]' in out
        assert out.rstrip().endswith("2\n204")

        out = bash(cli)
        first_tag, second_tag = ("v1", "v2") if first else ("v3", "v4")
        assert f"iris {first_tag} is live (release 1" in out
        assert f"iris {second_tag} is live (release 2" in out
        assert "\n0\n2\n" in out  # the two predictions
        assert re.search(rf"Rolled iris-\w+ back to {first_tag} \(release 3\)", out)
        assert re.search(r"Deleted deployment iris-\w+", out)

        assert run(sys.executable, "-c", sdk.replace(DOC_URL, control_plane.url)).split() == ["[0]", "True"]
