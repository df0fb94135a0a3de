"""Running one batch: a single predict call for merged requests, split back per request.

Also decides, once at start-up, which methods may merge requests at all: the answer for a
row must not depend on the other rows of the call, bit for bit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np

from kubeserve.inference.codec import Payload
from kubeserve.inference.model import ModelRuntime

Predict = Callable[[Any, str], np.ndarray]


class Outcome:
    """A payload's prediction or the exception predicting it raised."""

    __slots__ = ("value", "error")

    def __init__(self, value: np.ndarray | None = None, error: BaseException | None = None):
        self.value, self.error = value, error

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value

    def settle(self, future: asyncio.Future[np.ndarray]) -> None:
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.value)  # type: ignore[arg-type]


def run_batch(predict: Predict, method: str, payloads: list[Payload], merge: bool = True) -> list[Outcome]:
    """One predict call for all payloads, split back; if it fails, each payload alone so that
    one bad request fails by itself and never spoils the others."""
    if merge and len(payloads) > 1:
        try:
            out = predict(_concat(payloads), method)
            bounds = np.cumsum([p.rows for p in payloads])[:-1]
            return [Outcome(part) for part in np.split(out, bounds)]
        except Exception:
            pass
    outcomes = []
    for p in payloads:
        try:
            outcomes.append(Outcome(predict(p.data, method)))
        except Exception as exc:
            outcomes.append(Outcome(error=exc))
    return outcomes


def exact_methods(model: ModelRuntime, rows: int = 8) -> frozenset[str]:
    """The methods whose answer for a row is bit-for-bit the same whatever rows share the call.

    BLAS takes other kernels for one row than for many, so e.g. LogisticRegression's
    predict_proba differs in the last bits: such methods predict each request on its own.
    """
    probe, exact = model.sample_input(rows, seed=0), set()
    for method in model.methods:
        try:
            whole = model.predict(probe, method)
            alone = [model.predict(_slice(probe, i, i + 1), method) for i in range(rows)]
            few = model.predict(_slice(probe, 0, 3), method)
            if _same(whole, np.concatenate(alone)) and _same(whole[:3], few):
                exact.add(method)
        except Exception:  # cannot tell: do not merge
            continue
    return frozenset(exact)


def _slice(x: Any, start: int, stop: int) -> Any:
    return x.iloc[start:stop] if hasattr(x, "iloc") else x[start:stop]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:  # object arrays
        return bool(np.array_equal(a, b))


def _concat(payloads: list[Payload]) -> Any:
    if payloads[0].kind == "frame":
        import pandas as pd

        return pd.concat([p.data for p in payloads], ignore_index=True)
    return np.concatenate([p.data for p in payloads])
