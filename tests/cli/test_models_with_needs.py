"""`push` for the models the issue was about: a notebook pipeline shipped with `--code`, and a
DataFrame pipeline with a string column whose printed examples work as pasted."""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.conftest import Cli
from tests.cli.test_journey import run_curl_line
from tests.inference.models import IRIS_ROWS, houses_pipeline, make_houses_model, make_notebook_model

pytestmark = pytest.mark.slow


def test_notebook_model_pushed_with_its_code(cli: Cli, tmp_path: Path) -> None:
    cli.register()
    model, code, expected = make_notebook_model(tmp_path)
    refused = cli.fails("push", model, "--name", "notebook")
    assert "__main__.Doubler" in refused and "--code" in refused
    pushed = cli("push", model, "--name", "notebook", "--code", code)
    assert "notebook v2 is live" in pushed.stdout
    predicted = cli.json("predict", "notebook", "--data", str(IRIS_ROWS))["predictions"]
    assert predicted == expected


def test_dataframe_model_examples_work_as_printed(cli: Cli, tmp_path: Path) -> None:
    cli.register()
    pushed = cli("push", make_houses_model(tmp_path / "houses.joblib"), "--name", "houses")
    curl_line, kubeserve_line = pushed.stdout.splitlines()[-2:]
    assert '"columns": ["city", "rooms", "area"]' in curl_line
    sample = houses_pipeline().classes_.tolist()
    assert run_curl_line(cli, curl_line)["predictions"][0] in sample
    example = shlex.split(kubeserve_line)
    assert cli(*example[1:]).stdout.strip().strip('"') in sample
    csv = tmp_path / "rows.csv"
    csv.write_text("area,city,rooms\n20.5,paris,1\n90.0,paris,4\n")
    frame = houses_pipeline().predict(
        pd.DataFrame({"city": ["paris", "paris"], "rooms": [1, 4], "area": [20.5, 90.0]})
    )
    assert cli.json("predict", "houses", "--file", csv)["predictions"] == frame.tolist()
    proba = cli.json("predict", "houses", "--file", csv, "--method", "predict_proba")["predictions"]
    assert len(proba) == 2 and len(proba[0]) == 2
