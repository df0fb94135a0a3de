"""A notebook-style `__main__` transformer: refused with a reason saying how to ship it, then
built and served once its code is shipped (code.zip on sys.path, never extracted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.inference.conftest import free_port, model_server, wait_until
from tests.inference.models import IRIS_ROWS, make_notebook_model, zip_code

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Any]]:
    directory = tmp_path_factory.mktemp("notebook")
    model, code, expected = make_notebook_model(directory)
    return model, zip_code(code, directory / "code.zip"), expected


def inspect(model: Path, tmp_path: Path, *extra: str) -> Any:
    args = ["--model", str(model), "--packages-dir", str(tmp_path / "packages"), *extra]
    out = subprocess.run(
        [sys.executable, "-m", "kubeserve.inference.inspect", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_build_without_the_code_names_the_class_and_how_to_ship_it(notebook: Any, tmp_path: Path) -> None:
    answer = inspect(notebook[0], tmp_path)
    assert answer["ok"] is False
    assert "__main__.Doubler" in answer["error"] and "--code" in answer["error"]


def test_build_with_the_code(notebook: Any, tmp_path: Path) -> None:
    answer = inspect(notebook[0], tmp_path, "--code", str(notebook[1]))
    assert answer["ok"] is True, answer
    assert answer["signature"]["code"] == {"modules": ["transformers"]}
    assert "__main__:Doubler" in answer["signature"]["pickle_globals"]


def test_served_with_the_code(notebook: Any) -> None:
    model, code, expected = notebook
    port = free_port()
    with model_server("--artifact", str(model), "--code", str(code), "--port", str(port)) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/ready", proc)
        r = httpx.post(f"{base}/predict", json={"data": IRIS_ROWS})
    assert r.json() == {"predictions": expected}
