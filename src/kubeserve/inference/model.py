"""The runtime contract a served model fulfils, and its scikit-learn implementation.

Imported only after requirements are installed: numpy and the model's libraries must come
from the private packages directory when it provides them.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kubeserve.inference.columns import Column, columns_of

# Read-only methods served when the model has them; "predict" first: the default output.
METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score_samples",
)


class ModelLoadError(RuntimeError):
    """The artifact could not be turned into a servable model; the message says why."""


class ModelRuntime(Protocol):
    """What the data plane needs from a loaded model (MLServer's MLModel, trimmed)."""

    n_features: int | None
    feature_names: list[str] | None
    columns: list[Column] | None
    needs_frame: bool
    methods: tuple[str, ...]
    allow_nan: bool

    def predict(self, x: Any, method: str = "predict") -> np.ndarray: ...

    def sample_input(self, rows: int = 1, seed: int | None = None) -> Any: ...


class SklearnModel:
    """Any object with a scikit-learn style `predict` (estimators, pipelines, search CVs)."""

    def __init__(self, estimator: Any) -> None:
        if not callable(getattr(estimator, "predict", None)):
            raise ModelLoadError(
                f"object has no predict (the file holds a {type(estimator).__name__!r} object)"
            )
        self.estimator = estimator
        self.methods = tuple(m for m in METHODS if callable(getattr(estimator, m, None)))
        n = getattr(estimator, "n_features_in_", None)
        self.n_features: int | None = int(n) if isinstance(n, int | np.integer) else None
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names = [str(x) for x in names] if names is not None else None
        self.columns = columns_of(estimator, self.feature_names) if self.feature_names else None
        # String columns cannot travel in a float matrix: such a model always gets a DataFrame.
        self.needs_frame = any(c.datatype == "BYTES" for c in self.columns or ())
        self.allow_nan = _allows_nan(estimator)
        self.predict_seconds = 0.0

    @classmethod
    def load(cls, path: Path, shipped: list[str] | None = None) -> SklearnModel:
        """Unpickle `path` (joblib or plain pickle). Runs the file's code: only in a child.

        `shipped`: the modules of the user's shipped code (already importable)."""
        import joblib

        from kubeserve.inference.shipped import HOW_TO_SHIP, explain_missing

        try:
            obj = joblib.load(path)
        except ModuleNotFoundError as exc:
            raise ModelLoadError(
                f"the model needs the module '{exc.name}', which is not installed: add its "
                f"package to requirements.txt, or if it is your own code, {HOW_TO_SHIP}"
            ) from exc
        except AttributeError as exc:
            reason = explain_missing(exc, shipped or [])
            raise ModelLoadError(reason or f"could not load the model: AttributeError: {exc}") from exc
        except Exception as exc:
            raise ModelLoadError(f"could not load the model: {type(exc).__name__}: {exc}") from exc
        # Rows sent as plain lists to a model fit on a DataFrame are expected here.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return cls(obj)

    def predict(self, x: Any, method: str = "predict") -> np.ndarray:
        out = getattr(self.estimator, method)(x)
        if hasattr(out, "toarray"):  # a sparse matrix (e.g. a one-hot `transform`)
            out = out.toarray()
        return np.asarray(out)

    def sample_input(self, rows: int = 1, seed: int | None = None) -> Any:
        """All-zero rows (or seeded random ones), shaped like what the model was fit on;
        string columns hold a category the model knows."""
        shape = (rows, self.n_features or 1)
        data = np.zeros(shape) if seed is None else np.random.default_rng(seed).normal(0, 3, shape)
        if self.columns is not None:
            import pandas as pd

            frame = pd.DataFrame(data, columns=self.feature_names)
            for c in self.columns:
                if c.datatype == "BYTES":
                    frame[c.name] = np.array([c.sample] * rows, dtype=object)
            return frame
        return data

    def warm_up(self) -> None:
        """Predict once on the sample so first requests do not pay one-off costs; timed."""
        sample = self.sample_input()
        try:
            self.predict(sample)
            start = time.perf_counter()
            self.predict(sample)
        except Exception:  # a model may reject zeros (e.g. string columns); not fatal
            return
        self.predict_seconds = time.perf_counter() - start


def _allows_nan(estimator: Any) -> bool:
    """scikit-learn's `allow_nan` tag; unknown means let the model decide."""
    try:
        return bool(estimator.__sklearn_tags__().input_tags.allow_nan)
    except Exception:
        pass
    try:
        return bool(estimator._get_tags().get("allow_nan", True))
    except Exception:
        return True
