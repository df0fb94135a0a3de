"""The pickle policy: real models pass; code-running globals are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder

from kubeserve.inference.pickle_policy import not_rebuilders, reason, refused
from kubeserve.inference.pickle_scan import scan_file


def _models() -> list[object]:
    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=list("abcd"))
    frame["c"] = ["x", "y", "z"] * 50
    encoded = ColumnTransformer([("o", OneHotEncoder(), ["c"])], remainder="passthrough")
    return [
        make_pipeline(MinMaxScaler(), FunctionTransformer(np.log1p), LogisticRegression(max_iter=500)).fit(
            x, y
        ),
        RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y),
        HistGradientBoostingClassifier(max_iter=3).fit(x, y),
        make_pipeline(encoded, LogisticRegression(max_iter=500)).fit(frame, y),
        frame,
    ]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_real_models_pass(tmp_path: Path, protocol: int) -> None:
    for i, model in enumerate(_models()):
        path = tmp_path / f"{i}.joblib"
        joblib.dump(model, path, protocol=protocol)
        assert refused(scan_file(path).globals) == [], type(model)


def test_real_models_call_only_classes_ufuncs_and_rebuild_helpers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "when": pd.date_range("2020", periods=4, tz="UTC"),
            "gap": pd.to_timedelta([1, 2, 3, 4], unit="s"),
            "kind": pd.Categorical(list("abca")),
            "month": pd.period_range("2020", periods=4, freq="M"),
            "span": pd.interval_range(0, 4),
            "maybe": pd.array([1, None, 3, 4], dtype="Int64"),
            "text": pd.array(list("abcd"), dtype="string"),
        }
    )
    found: set[str] = set()
    for i, model in enumerate([*_models(), frame, pd.NaT, np.random.default_rng(0)]):
        path = tmp_path / f"{i}.joblib"
        joblib.dump(model, path)
        found.update(scan_file(path).globals)
    assert "numpy:log1p" in found and "pandas._libs.internals:_unpickle_block" in found
    assert not_rebuilders(sorted(found)) == []


@pytest.mark.parametrize(
    "item",
    [
        "builtins:eval",
        "builtins:exec",
        "builtins:getattr",
        "posix:system",
        "os:system",
        "subprocess:Popen",
        "numpy:os.system",  # a dangerous name smuggled through an allowed package
        "sklearn.utils:sys",
        "mymodule:Thing",  # unknown code
        "__builtin__:open",
    ],
)
def test_code_running_globals_are_refused(item: str) -> None:
    assert refused(["numpy:ndarray", item]) == [item]


def test_the_users_own_modules_can_be_allowed() -> None:
    assert refused(["mymodule.features:Scaler"], extra_modules=["mymodule"]) == []
    assert refused(["mymodule:system"], extra_modules=["mymodule"]) == ["mymodule:system"]


def test_reason_names_each_global_and_the_switch() -> None:
    text = reason(["builtins:eval", "posix:system"])
    assert "builtins.eval" in text and "posix.system" in text
    assert '"allow_unsafe_pickle": true' in text
    assert "--code" not in text  # nobody ships their own `eval`


def test_reason_for_an_unknown_class_says_how_to_ship_it() -> None:
    text = reason(["__main__:Doubler"])
    assert "__main__.Doubler is your own code" in text and "--code" in text
