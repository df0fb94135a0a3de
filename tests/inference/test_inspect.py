"""The build check `python -m kubeserve.inference.inspect`, run as the child it is meant to be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy
import pytest
import sklearn

from tests.inference.models import make_marker_pickle, make_no_predict

pytestmark = pytest.mark.slow


def inspect(model: Path, tmp_path: Path, requirements: str | None = None, *flags: str) -> tuple[int, Any]:
    args = [
        sys.executable,
        "-m",
        "kubeserve.inference.inspect",
        "--model",
        str(model),
        "--packages-dir",
        str(tmp_path / "packages"),
        *flags,
    ]
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements)
        args += ["--requirements", str(tmp_path / "requirements.txt")]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1])


def test_good_model_gives_a_signature(iris_artifact: Path, tmp_path: Path) -> None:
    code, answer = inspect(iris_artifact, tmp_path, "numpy\n")
    assert code == 0 and answer["ok"] is True
    sig = answer["signature"]
    assert sig["estimator"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert sig["n_features_in"] == 4 and sig["feature_names"] is None
    assert sig["classes"] == [0, 1, 2]
    assert sig["output"] == {"shape": [-1], "dtype": "int64"}
    assert sig["outputs"]["predict_proba"] == {"datatype": "FP64", "shape": [-1, 3]}
    assert sig["sample_input"] == [[0.0, 0.0, 0.0, 0.0]] and len(sig["sample_output"]) == 1
    assert sig["versions"]["scikit-learn"] == sklearn.__version__
    assert sig["versions"]["numpy"] == numpy.__version__
    assert sig["sklearn_version_recorded"] == sklearn.__version__
    assert "sklearn.linear_model._logistic" in sig["pickle_modules"]
    assert sig["notes"] == []


def test_object_without_predict(tmp_path: Path) -> None:
    code, answer = inspect(make_no_predict(tmp_path / "m.joblib"), tmp_path)
    assert code == 1 and answer["ok"] is False
    assert answer["error"] == "object has no predict (the file holds a 'dict' object)"


def test_garbage_file(tmp_path: Path) -> None:
    (tmp_path / "m.joblib").write_bytes(b"PK\x03\x04 a zip, not a model")
    code, answer = inspect(tmp_path / "m.joblib", tmp_path)
    assert code == 1 and answer["ok"] is False
    assert answer["error"].startswith("file is not a joblib/pickle")


def test_refused_requirement(iris_artifact: Path, tmp_path: Path) -> None:
    code, answer = inspect(iris_artifact, tmp_path, "--index-url https://example.com\n")
    assert code == 1 and "requirements.txt line 1" in answer["error"]


def test_hostile_pickle_is_refused_by_default_and_runs_only_with_the_switch(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = make_marker_pickle(tmp_path / "evil.pkl", marker)
    code, answer = inspect(evil, tmp_path)
    assert code == 1 and not marker.exists()  # refused before anything is unpickled
    assert "posix.system" in answer["error"] and '"allow_unsafe_pickle": true' in answer["error"]
    code, answer = inspect(evil, tmp_path, None, "--allow-unsafe-pickle")
    assert marker.exists()  # the child loaded it: that is what the sandbox is for
    assert code == 1
    assert answer["error"] == "object has no predict (the file holds a 'int' object)"


def test_steps_install_then_load(iris_artifact: Path, tmp_path: Path) -> None:
    """The build installs outside the sandbox, then loads inside it: same signature."""
    code, answer = inspect(iris_artifact, tmp_path, "numpy\n", "--step", "install")
    assert code == 0 and answer == {"ok": True, "notes": []}
    code, answer = inspect(iris_artifact, tmp_path, "numpy\n", "--step", "load", "--note=a note")
    assert code == 0 and answer["signature"]["n_features_in"] == 4
    assert answer["signature"]["notes"] == ["a note"]
