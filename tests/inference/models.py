"""Artifacts for the inference tests: real models, a hostile pickle, a tiny wheel.

`make_marker_pickle` is shared: any test can check a pickle was (or was not) loaded.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np

IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]]
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@functools.cache  # fitted once per session; callers only predict with it or dump it
def iris_estimator() -> Any:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=500).fit(x, y)


def make_iris_model(path: Path, **dump_kwargs: Any) -> Path:
    """LogisticRegression on iris as a joblib file."""
    joblib.dump(iris_estimator(), path, **dump_kwargs)
    return path


def make_frame_model(path: Path) -> Path:
    """A model fit on a DataFrame: it has feature_names_in_, so records are accepted."""
    import pandas as pd
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=FEATURES)
    joblib.dump(RandomForestClassifier(10, max_depth=4, random_state=0).fit(frame, y), path)
    return path


class _RunsCommand:
    """Pickles to `os.system(command)`: loading it runs the command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def make_marker_pickle(path: Path, marker: Path) -> Path:
    """A pickle that creates `marker` when (and only when) it is loaded."""
    path.write_bytes(pickle.dumps(_RunsCommand(f"touch '{marker}'")))
    return path


def make_no_predict(path: Path) -> Path:
    joblib.dump({"weights": np.arange(4.0)}, path)
    return path


def make_wheel(directory: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel (module `name` with VERSION) built with zipfile."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = (
        "".join(
            f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()}"
            f",{len(d)}\n"
            for p, d in files.items()
        )
        + f"{dist}/RECORD,,\n"
    )
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for p, d in files.items():
            whl.writestr(p, d)
        whl.writestr(f"{dist}/RECORD", record)
    return path


HOUSES = {
    "city": ["paris", "lyon", "nice", "paris", "lyon", "nice", "paris", "lyon"],
    "rooms": [1, 2, 3, 4, 2, 3, 5, 1],
    "area": [20.5, 45.0, 60.25, 90.0, 41.0, 70.5, 120.0, 18.0],
}


def houses_frame() -> Any:
    import pandas as pd

    return pd.DataFrame(HOUSES)


@functools.cache
def houses_pipeline() -> Any:
    """A DataFrame pipeline with a string column: one-hot city, scaled numbers, a classifier."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("num", StandardScaler(), ["rooms", "area"]),
        ]
    )
    y = ["cheap", "cheap", "dear", "dear", "cheap", "dear", "dear", "cheap"]
    return make_pipeline(columns, LogisticRegression()).fit(houses_frame(), y)


def make_houses_model(path: Path) -> Path:
    joblib.dump(houses_pipeline(), path)
    return path


NOTEBOOK_CODE = '''\
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class Doubler(BaseEstimator, TransformerMixin):
    """A notebook's own transformer: pickled as __main__.Doubler."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2.0
'''


def make_notebook_model(directory: Path) -> tuple[Path, Path, list[Any]]:
    """(model.joblib whose pipeline holds a `__main__.Doubler`, transformers.py defining it,
    the pipeline's own predictions for IRIS_ROWS). Trained in a child whose __main__ is the
    code, as in a notebook."""
    import json
    import subprocess
    import sys

    model, code, expected = (
        directory / "notebook.joblib",
        directory / "transformers.py",
        directory / "out.json",
    )
    code.write_text(NOTEBOOK_CODE)
    script = NOTEBOOK_CODE + (
        "import joblib, json\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.pipeline import make_pipeline\n"
        "X, y = load_iris(return_X_y=True)\n"
        "pipe = make_pipeline(Doubler(), LogisticRegression(max_iter=500)).fit(X, y)\n"
        f"joblib.dump(pipe, {str(model)!r})\n"
        f"json.dump(pipe.predict({IRIS_ROWS!r}).tolist(), open({str(expected)!r}, 'w'))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    return model, code, json.loads(expected.read_text())


def zip_code(code: Path, dest: Path) -> Path:
    """code.zip as the control plane stores it (registry/code.py)."""
    from kubeserve.registry.code import pack

    pack(code, code.name, dest, 1 << 20)
    return dest
