"""The columns a DataFrame model was fit on: name, V2 datatype and a sample value.

scikit-learn keeps the column names (`feature_names_in_`) but not their dtypes. String
columns show in the fitted encoders and imputers (`categories_`, `statistics_` of strings),
found by walking pipelines, column transformers and feature unions; every other column is
taken as numeric ("FP64"), a guess the data plane never enforces on values that are not
numbers (a string column the walk missed still reaches the model as strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str  # "BYTES" (strings) or "FP64"
    sample: Any  # a value the fitted model accepts: a known category, or 0.0


def columns_of(estimator: Any, names: list[str]) -> list[Column]:
    """One Column per fitted feature name, in the fitted order."""
    strings: dict[int, str] = {}
    _walk(estimator, list(range(len(names))), strings)
    return [
        Column(name, "BYTES", strings[i]) if i in strings else Column(name, "FP64", 0.0)
        for i, name in enumerate(names)
    ]


def _walk(obj: Any, indices: list[int], strings: dict[int, str]) -> None:
    """Record, by input column index, the string columns `obj` (seeing `indices`) reveals."""
    mapping = getattr(obj, "_transformer_to_input_indices", None)
    named = getattr(obj, "named_transformers_", None)
    if isinstance(mapping, dict) and named is not None:  # ColumnTransformer
        for name, idx in mapping.items():
            sub = named.get(name)
            if sub is not None and not isinstance(sub, str):
                _walk(sub, [indices[i] for i in idx if i < len(indices)], strings)
        return
    steps = getattr(obj, "steps", None)
    if isinstance(steps, list):  # Pipeline: steps see the raw columns until one reshapes them
        for _, step in steps:
            if step is None or isinstance(step, str):
                continue
            _walk(step, indices, strings)
            if not _keeps_columns(step):
                return
        return
    union = getattr(obj, "transformer_list", None)
    if isinstance(union, list):  # FeatureUnion: every part sees every column
        for _, part in union:
            if not isinstance(part, str):
                _walk(part, indices, strings)
        return
    _leaf(obj, indices, strings)


def _keeps_columns(step: Any) -> bool:
    """Steps whose output columns are their input columns (imputers): look past them."""
    return type(step).__name__ in ("SimpleImputer", "FunctionTransformer")


def _leaf(obj: Any, indices: list[int], strings: dict[int, str]) -> None:
    categories = getattr(obj, "categories_", None)
    if isinstance(categories, list) and len(categories) == len(indices):
        for i, cats in zip(indices, categories, strict=True):
            sample = next((c for c in cats if isinstance(c, str)), None)
            if sample is not None:
                strings.setdefault(i, sample)
        return
    statistics = getattr(obj, "statistics_", None)
    if statistics is not None and len(statistics) == len(indices):
        for i, value in zip(indices, statistics, strict=True):
            if isinstance(value, str):
                strings.setdefault(i, value)
