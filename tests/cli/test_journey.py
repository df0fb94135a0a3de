"""push -> predict -> push again (v2, rolled forward) -> rollback -> logs -> delete, via the CLI."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from tests.cli.conftest import Cli

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
pytestmark = pytest.mark.slow


def expected(model: Path) -> list[str]:
    return [str(x) for x in joblib.load(model).predict(np.array(ROWS)).tolist()]


def run_curl_line(cli: Cli, line: str) -> dict:
    """Paste the curl line `push` printed into a shell, as a user would."""
    bin_dir = str(Path(sys.executable).parent)  # where the `kubeserve` script lives
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "KUBESERVE_CONFIG_DIR": str(cli.config_dir),
    }
    done = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_whole_flow(
    cli: Cli, iris_model: Path, iris_requirements: Path, shifted_model: Path, tmp_path: Path
) -> None:
    cli.register()
    v1_answers, v2_answers = expected(iris_model), expected(shifted_model)

    pushed = cli("push", iris_model, "--name", "iris", "--requirements", iris_requirements)
    assert "Created model iris" in pushed.stderr and "Uploading model.joblib" in pushed.stderr
    assert "Built iris v1: LogisticRegression" in pushed.stderr
    (deployment,) = cli.json("deployments")
    lines = pushed.stdout.splitlines()
    assert lines[0].startswith("iris v1 is live (release 1, 1/1 replicas ready)")
    assert lines[1] == f"URL: {deployment['url']}"
    assert lines[-2].strip().startswith(f"curl -s -X POST {deployment['url']}")
    assert run_curl_line(cli, lines[-2])["predictions"] == [0]  # the sample row: all zeros
    example = shlex.split(lines[-1])
    assert example[:3] == ["kubeserve", "predict", "iris"]
    assert cli(*example[1:]).stdout.split() == ["0"]

    assert cli("predict", "iris", "--data", json.dumps(ROWS)).stdout.split() == v1_answers
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps({"data": ROWS}))
    by_id = cli.json("predict", deployment["id"], "--file", rows_file)
    assert [str(p) for p in by_id["predictions"]] == v1_answers

    # push again: v2 is the next tag, and the deployment rolls forward to it
    again = cli("push", shifted_model, "--name", "iris", "--requirements", iris_requirements)
    assert f"Rolling {deployment['name']} forward from v1 to v2" in again.stderr
    assert again.stdout.startswith("iris v2 is live (release 2")
    by_name = cli("predict", deployment["name"], "--data", json.dumps(ROWS))
    assert by_name.stdout.split() == v2_answers
    assert [(v["version_tag"], v["status"]) for v in cli.json("versions", "iris")] == [
        ("v1", "Ready"),
        ("v2", "Ready"),
    ]
    (rolled,) = cli.json("deployments")
    assert (rolled["id"], rolled["version_tag"], rolled["release"]) == (deployment["id"], "v2", 2)
    releases = cli.json("releases", "iris")
    assert [(r["revision"], r["version_tag"], r["status"]) for r in releases] == [
        (2, "v2", "Active"),
        (1, "v1", "Superseded"),
    ]
    table = cli("releases", "iris").stdout
    assert "update to v2" in table and "Superseded" in table

    # rollback: release 3 serves v1 again
    back = cli("rollback", "iris")
    assert back.stdout.strip() == f"Rolled {deployment['name']} back to v1 (release 3)"
    assert cli("predict", "iris", "--data", json.dumps(ROWS)).stdout.split() == v1_answers

    logs = cli.json("logs", "iris", "--tail", "5")
    assert logs["deployment"] == deployment["name"] and 0 < len(logs["lines"]) <= 5
    assert logs["requests"][-1]["status"] == 200 and logs["requests"][-1]["caller"] == "owner"
    assert logs["requests"][-1]["rows"] == len(ROWS) and logs["requests"][-1]["release"] == 3
    printed = cli("logs", deployment["id"], "--tail", "5").stdout.strip().splitlines()
    assert json.loads(printed[-1])["path"] == "/predict"  # the last request, as a JSON line

    stats = cli.json("stats", "iris", "--window", "10m")
    assert stats["deployment"] == deployment["name"] and stats["requests"] >= 1
    assert "requests" in cli("stats", "iris").stdout

    models = cli("models").stdout
    assert "iris" in models and "v1 Running" in models
    assert [m["name"] for m in cli.json("models")] == ["iris"]

    # delete asks first; "n" keeps the deployment
    cli("delete", "iris", input="n\n", expect=1)
    assert len(cli.json("deployments")) == 1
    deleted = cli("delete", "iris", "--yes").stdout.strip()
    assert deleted == f"Deleted deployment {deployment['name']}"
    assert cli.json("deployments") == []
    assert "no deployment called 'iris'" in cli.fails("predict", "iris", "--data", "[[1, 2, 3, 4]]")
    cli("delete", "--model", "iris", "--yes")
    assert cli.json("models") == []


def test_api_keys_scale_and_deploy(cli: Cli, iris_model: Path) -> None:
    cli.register()
    built = cli("push", iris_model, "--name", "keyed", "--tag", "first", "--no-deploy")
    assert built.stdout.strip() == "keyed first is Ready (not deployed)"
    assert cli.json("deployments") == []
    live = cli.json("deploy", "keyed")["deployment"]
    assert (live["version_tag"], live["status"]) == ("first", "Running")

    key = cli.json("keys", "create", "ci")
    assert key["key"].startswith(key["prefix"])
    assert [k["name"] for k in cli.json("keys", "list")] == ["ci"]
    with_key = {"KUBESERVE_API_KEY": key["key"]}
    answer = cli("predict", live["name"], "--data", "[[5.1, 3.5, 1.4, 0.2]]", env=with_key)
    assert answer.stdout.split() == ["0"]
    assert "Revoked API key 'ci'" in cli("keys", "revoke", "ci").stdout
    refused = cli.fails("predict", live["name"], "--data", "[[5.1, 3.5, 1.4, 0.2]]", env=with_key)
    assert "HTTP 401" in refused

    assert "Scaled" in cli("scale", "keyed", "2").stdout
    assert cli.json("deployments")[0]["replicas"] == 2
    assert "no previous release" in cli.fails("rollback", "keyed")
    assert "expected 4 features" in cli.fails("predict", "keyed", "--data", "[[1.0]]")
