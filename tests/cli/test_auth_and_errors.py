"""Login and its token file, and the expected errors: one line on stderr, exit 1, no traceback."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli.conftest import EMAIL, PASSWORD, Cli
from tests.fixtures.control_plane import free_port


def test_login_keeps_the_token_private(cli: Cli) -> None:
    cli.register()
    credentials = cli.config_dir / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.config_dir.stat().st_mode) == 0o700
    assert cli.json("whoami")["email"] == EMAIL
    saved = cli("token").stdout.strip()

    assert cli("logout").stdout.strip() == f"Logged out of {cli.url}"
    revoked = httpx.get(f"{cli.url}/api/v1/me", headers={"Authorization": f"Bearer {saved}"})
    assert revoked.status_code == 401  # logout revokes the token on the server too
    assert json.loads(credentials.read_text()) == {}
    assert "not logged in" in cli.fails("whoami")

    wrong = cli.fails("login", "--email", EMAIL, input="not the password\n")
    assert wrong == "Error: incorrect email or password (HTTP 401)"
    credentials.unlink()
    logged_in = cli("login", "--email", EMAIL, input=f"{PASSWORD}\n")
    assert logged_in.stdout.splitlines()[-1] == f"Logged in as {EMAIL} on {cli.url}"
    assert PASSWORD not in logged_in.output  # the prompt does not echo it
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    token = cli("token").stdout.strip()
    assert token == json.loads(credentials.read_text())[cli.url]["token"]
    assert "Authorization" not in token and len(token) > 20


def test_expected_errors_are_one_line(cli: Cli, iris_model: Path, tmp_path: Path) -> None:
    cli.register()
    already = cli.fails("register", "--email", EMAIL, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "already has an account" in already and "kubeserve login" in already
    assert cli.fails("versions", "nope") == "Error: no model called 'nope' (see `kubeserve models`)"
    assert "no deployment called 'nope'" in cli.fails("logs", "nope")
    assert "no deployment with id 999" in cli.fails("scale", "999", "2")
    assert "not valid JSON" in cli.fails("predict", "x", "--data", "[[1,")
    assert "--data" in cli.fails("predict", "x")
    assert "name: String should match" in cli.fails("push", iris_model, "--name", "Bad_Name")
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello")
    assert "is not one of .joblib" in cli.fails("push", not_a_model, "--name", "notes")
    assert "no model called 'notes'" in cli.fails("versions", "notes")  # nothing empty left behind
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle at all")
    assert "build of v1 failed: " in cli.fails("push", garbage, "--name", "garbage")
    (failed,) = cli.json("versions", "garbage")
    assert failed["status"] == "Failed" and failed["error"]
    assert cli.json("deployments") == []
    assert "(not both)" in cli.fails("delete", "x", "--model", "y")

    # an expired or forged token: a hint to log in again
    credentials = cli.config_dir / "credentials.json"
    saved = json.loads(credentials.read_text())
    saved[cli.url]["token"] = "forged"
    credentials.write_text(json.dumps(saved))
    assert cli.fails("models").endswith("(HTTP 401): run `kubeserve login`")


def test_server_down_is_a_friendly_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    cli = Cli(url, tmp_path / "config")
    assert (
        cli.fails("login", "--email", EMAIL, input=f"{PASSWORD}\n")
        == f"Error: cannot reach {url}: is `kubeserve server` running?"
    )
    # the installed entry point, as a user runs it: one line, exit 1, no traceback
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeserve",
            "register",
            "--url",
            url,
            "--email",
            EMAIL,
            "--password",
            PASSWORD,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"KUBESERVE_CONFIG_DIR": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert done.stderr == f"Error: cannot reach {url}: is `kubeserve server` running?\n"
    assert done.stdout == ""
