"""Every read-only method a model has is listed and served: transform, score_samples, ..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from kubeserve.inference.model import SklearnModel
from kubeserve.inference.signature import describe
from tests.inference.conftest import client_for, start_app
from tests.inference.models import IRIS_ROWS

X = np.array(IRIS_ROWS)


def _isolation_forest() -> Any:
    from sklearn.datasets import load_iris
    from sklearn.ensemble import IsolationForest

    return IsolationForest(n_estimators=10, random_state=0).fit(load_iris(return_X_y=True)[0])


def _kmeans() -> Any:
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_iris

    return KMeans(3, n_init=2, random_state=0).fit(load_iris(return_X_y=True)[0])


@pytest.mark.parametrize(
    ("make", "methods"),
    [
        (_isolation_forest, ["predict", "decision_function", "score_samples"]),
        (_kmeans, ["predict", "transform"]),
    ],
)
async def test_methods_listed_and_served(tmp_path: Path, make: Any, methods: list[str]) -> None:
    estimator = make()
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    assert describe(SklearnModel.load(path))["methods"] == methods
    app = await start_app(path, name="m", work_dir=tmp_path / "work")
    async with client_for(app) as client:
        for method in methods:
            r = await client.post("/predict", json={"data": IRIS_ROWS, "method": method})
            assert r.json() == {"predictions": getattr(estimator, method)(X).tolist()}, method
            v2 = await client.post(
                "/v2/models/m/infer",
                json={
                    "inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP64", "data": IRIS_ROWS}],
                    "outputs": [{"name": method}],
                },
            )
            assert v2.json()["outputs"][0]["data"] == getattr(estimator, method)(X).ravel().tolist()
