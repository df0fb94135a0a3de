"""Validated model input, as it waits in a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Payload:
    """A 2-D float64 array, or a DataFrame in the fitted column order (models fit on one)."""

    data: Any
    rows: int
    kind: str  # "array" | "frame": batches never mix the two
