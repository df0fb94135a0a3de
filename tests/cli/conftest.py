"""Drive `kubeserve` through its entry point against a real control plane (SQLite only)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from kubeserve.cli.main import app
from tests.fixtures.control_plane import ControlPlane

EMAIL, PASSWORD = "ada@example.com", "correct horse battery"


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The CLI exercises the client, not the database: SQLite only, to save time."""
    path = tmp_path / "kubeserve.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


class Cli:
    """`kubeserve ARGS` in-process, with its own config directory; asserts on the exit code."""

    def __init__(self, url: str, config_dir: Path) -> None:
        self.url, self.config_dir = url, config_dir
        self.env: dict[str, str | None] = {
            "KUBESERVE_URL": url,
            "KUBESERVE_CONFIG_DIR": str(config_dir),
            "COLUMNS": "200",
            "KUBESERVE_EMAIL": None,
            "KUBESERVE_PASSWORD": None,
            "KUBESERVE_API_KEY": None,
        }

    def __call__(
        self,
        *args: object,
        expect: int = 0,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        argv = [str(a) for a in args]
        result = CliRunner().invoke(app, argv, input=input, env={**self.env, **(env or {})})
        assert result.exit_code == expect, (
            f"kubeserve {' '.join(argv)} -> {result.exit_code}\nstdout: {result.stdout}\n"
            f"stderr: {result.stderr}\nexception: {result.exception!r}"
        )
        if expect:
            assert isinstance(result.exception, SystemExit), repr(result.exception)  # expected
            assert "Traceback" not in result.output
        return result

    def fails(self, *args: object, **kwargs: Any) -> str:
        """Run a command that must fail; its one-line error message (the last line on stderr)."""
        result = self(*args, expect=1, **kwargs)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and result.stderr.endswith(errors[0] + "\n"), result.stderr
        return errors[0]

    def json(self, *args: object) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def register(self, email: str = EMAIL, password: str = PASSWORD) -> None:
        self("register", "--email", email, input=f"{password}\n{password}\n")


@pytest.fixture
def cli(control_plane: ControlPlane, tmp_path: Path) -> Cli:
    return Cli(control_plane.url, tmp_path / "config")
