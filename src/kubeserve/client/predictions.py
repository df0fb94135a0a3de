"""Predictions: rows in, a deployment's predictions out (a user's token or an API key)."""

from __future__ import annotations

from typing import Any

from kubeserve.client.transport import Session


class PredictionsAPI(Session):
    """`Client.predict`, the one call an API key authorizes."""

    def predict(self, deployment: str, data: Any) -> list[Any]:
        """Predictions of a deployment (its name or URL) for rows: `[[...]]`, numpy or pandas."""
        if hasattr(data, "to_numpy"):
            data = data.to_numpy()
        if hasattr(data, "tolist"):
            data = data.tolist()
        is_url = deployment.startswith(("http://", "https://"))
        answer = self._call("POST", deployment if is_url else f"/predict/{deployment}", json={"data": data})
        return answer["predictions"]
