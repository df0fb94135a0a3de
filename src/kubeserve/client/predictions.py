"""Predictions: rows in, a deployment's predictions out (a user's token or an API key)."""

from __future__ import annotations

import json
from typing import Any

from kubeserve.client.transport import Session


def prediction_body(data: Any, method: str | None = None) -> dict[str, Any]:
    """The JSON body of POST /predict for `data`:

    a pandas DataFrame (sent in split orientation, so columns match by name, whatever their
    order), a numpy array or rows `[[...]]`, records `[{name: value}]`, or a whole body that
    the server accepts (a dict such as `{"dataframe_split": {...}}`).
    """
    if hasattr(data, "to_json") and hasattr(data, "columns"):  # a DataFrame: names kept
        body: dict[str, Any] = {"dataframe_split": json.loads(data.to_json(orient="split", index=False))}
    elif isinstance(data, dict):
        body = dict(data)
    else:
        if hasattr(data, "tolist"):  # numpy
            data = data.tolist()
        body = {"data": data}
    if method is not None:
        body["method"] = method
    return body


class PredictionsAPI(Session):
    """`Client.predict`, the one call an API key authorizes."""

    def predict(self, deployment: str, data: Any, method: str | None = None) -> list[Any]:
        """Predictions of a deployment (its name, its model's name, or its URL) for `data`:
        a DataFrame, rows, records or a numpy array (see `prediction_body`). `method`: any
        the model lists, e.g. "predict_proba"."""
        is_url = deployment.startswith(("http://", "https://"))
        path = deployment if is_url else f"/predict/{deployment}"
        answer = self._call("POST", path, json=prediction_body(data, method))
        return answer["predictions"]
