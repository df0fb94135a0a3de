"""The pickle scanner reads imports and the scikit-learn version without executing anything."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import sklearn

from kubeserve.inference.pickle_policy import refused
from kubeserve.inference.pickle_scan import NotAPickle, scan_file
from tests.inference.models import iris_estimator, make_iris_model, make_marker_pickle

ESTIMATOR = "sklearn.linear_model._logistic"


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_joblib_files_plain_and_compressed(tmp_path: Path, compress: object) -> None:
    scan = scan_file(make_iris_model(tmp_path / "m.joblib", compress=compress))
    assert ESTIMATOR in scan.modules and "joblib.numpy_pickle" in scan.modules
    assert f"{ESTIMATOR}:LogisticRegression" in scan.globals
    assert scan.sklearn_version == sklearn.__version__
    assert refused(scan.globals) == []


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_pickles_of_every_protocol(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(iris_estimator(), protocol=protocol))
    scan = scan_file(path)
    assert ESTIMATOR in scan.modules and scan.sklearn_version == sklearn.__version__


def test_object_arrays_inside_joblib(tmp_path: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    labels = np.array(["setosa", "other"], dtype=object)[[0, 1] * 5]
    model = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), labels)
    joblib.dump({"model": model, "note": np.array([{"a": 1}], dtype=object)}, tmp_path / "o.joblib")
    assert ESTIMATOR in scan_file(tmp_path / "o.joblib").modules


def test_hostile_pickle_is_reported_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    scan = scan_file(make_marker_pickle(tmp_path / "evil.pkl", marker))
    assert refused(scan.globals) == ["posix:system"] and scan.modules == ["posix"]
    assert not marker.exists()  # scanning never executed it
    pickle.loads((tmp_path / "evil.pkl").read_bytes())
    assert marker.exists()  # while loading it does: the fixture is real


@pytest.mark.parametrize(
    "content", [b"", b"hello world, not a pickle", b"\x80\x05\x95garbage", b"x\x9cnot zlib"]
)
def test_garbage_is_not_a_pickle(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(content)
    with pytest.raises(NotAPickle, match="file is not a joblib/pickle"):
        scan_file(path)


def test_truncated_joblib_is_not_a_pickle(tmp_path: Path) -> None:
    path = make_iris_model(tmp_path / "m.joblib")
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(NotAPickle):
        scan_file(path)
