"""What a loaded model looks like from outside: inputs, outputs, classes, sample I/O."""

from __future__ import annotations

import platform
import sys
from typing import Any

import numpy as np

from kubeserve.inference.model import ModelRuntime, SklearnModel

_KIND_TO_V2 = {"b": "BOOL", "U": "BYTES", "S": "BYTES", "O": "BYTES"}


def v2_datatype(dtype: np.dtype[Any]) -> str:
    """The Open Inference Protocol datatype of a numpy dtype (FP64, INT64, BYTES, ...)."""
    if dtype.kind in _KIND_TO_V2:
        return _KIND_TO_V2[dtype.kind]
    prefix = {"f": "FP", "i": "INT", "u": "UINT"}.get(dtype.kind)
    return f"{prefix}{dtype.itemsize * 8}" if prefix else "BYTES"


def jsonable(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def outputs(model: ModelRuntime) -> dict[str, dict[str, Any]]:
    """Per method: V2 datatype and shape (-1 for the rows), from one prediction on the sample."""
    found: dict[str, dict[str, Any]] = {}
    sample = model.sample_input()
    for method in model.methods:
        try:
            out = model.predict(sample, method)
        except Exception:  # e.g. a model that rejects an all-zero row
            continue
        found[method] = {"datatype": v2_datatype(out.dtype), "shape": [-1, *out.shape[1:]]}
    return found


def _version(module: str) -> str | None:
    """The version of the module actually imported (the private directory's, if it won)."""
    return getattr(sys.modules.get(module), "__version__", None)


def describe(model: SklearnModel) -> dict[str, Any]:
    """The signature the build step records on a version."""
    est = model.estimator
    sample = model.sample_input()
    output: dict[str, Any] | None = None
    try:
        predicted = model.predict(sample)
        sample_output: Any = jsonable(predicted)
        output = {"shape": [-1, *predicted.shape[1:]], "dtype": str(predicted.dtype)}
    except Exception as exc:
        sample_output = f"prediction on an all-zero row failed: {exc}"
    classes = getattr(est, "classes_", None)
    return {
        "estimator": f"{type(est).__module__}.{type(est).__qualname__}",
        "n_features_in": model.n_features,
        "feature_names": model.feature_names,
        "columns": [{"name": c.name, "datatype": c.datatype} for c in model.columns or ()] or None,
        "classes": jsonable(classes) if classes is not None else None,
        "methods": list(model.methods),
        "output": output,
        "outputs": outputs(model),
        "sample_input": jsonable(np.asarray(sample)),
        "sample_output": sample_output,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": _version("sklearn"),
            "numpy": _version("numpy"),
            "joblib": _version("joblib"),
        },
    }
