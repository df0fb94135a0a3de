"""Object ids as the API accepts them: positive and within the databases' INTEGER range,
so an absurd id is a 422 (or a 404), never an overflow deep in a driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**31 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
