"""The data plane: bytes in, bytes out, for one loaded model. No HTTP in here.

Decoding and validation happen before a request joins a batch; the batcher wraps predict;
encoding splits nothing but the request's own rows.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import orjson

from kubeserve.errors import BadRequest, KubeServeError, NotFound, Unprocessable
from kubeserve.inference import v2
from kubeserve.inference.batching import AdaptiveBatcher
from kubeserve.inference.codec import Payload, decode_predict
from kubeserve.inference.metrics import REQUEST_ROWS
from kubeserve.inference.model import ModelRuntime
from kubeserve.inference.signature import outputs


class PredictionFailed(KubeServeError):
    """The model raised on input that passed validation: a server-side failure."""

    status_code = 500


class DataPlane:
    """Predictions and V2 metadata for the model `name`, through an adaptive batcher."""

    def __init__(self, name: str, version: str, model: ModelRuntime, batcher: AdaptiveBatcher) -> None:
        self.name, self.version, self.model, self.batcher = name, version, model, batcher
        self._outputs: dict[str, dict[str, Any]] | None = None

    async def predict(self, body: bytes) -> bytes:
        """POST /predict -> `{"predictions": [...]}`."""
        payload, method = decode_predict(body, self.model)
        out = await self._run(payload, method)
        try:
            return orjson.dumps({"predictions": out}, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:  # string labels and other numpy types orjson does not take
            return orjson.dumps({"predictions": out.tolist()})

    async def infer(
        self, name: str, version: str | None, body: bytes, header_length: int | None
    ) -> tuple[bytes, int | None]:
        """POST /v2/models/{name}[/versions/{v}]/infer -> body and binary header length.

        Every problem with the request is a 400, as the protocol asks."""
        self.check_name(name, version)
        try:
            request = v2.decode_infer(body, self.model, header_length)
            results = [(m, await self._run(request.payload, m), b) for m, b in request.outputs]
        except Unprocessable as exc:
            raise BadRequest(exc.detail) from exc
        return v2.encode_infer(self.name, self.version, request.id, results)

    def metadata(self, name: str, version: str | None = None) -> dict[str, Any]:
        """GET /v2/models/{name}[/versions/{v}]."""
        self.check_name(name, version)
        if self._outputs is None:  # one prediction per method: not on the cold-start path
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._outputs = outputs(self.model)
        return v2.model_metadata(self.name, self.version, self.model, self._outputs)

    def check_name(self, name: str, version: str | None = None) -> None:
        if name != self.name:
            raise NotFound(f"model {name!r} not found (this server serves {self.name!r})")
        if version is not None and version != self.version:
            raise NotFound(f"model {name!r} has no version {version!r} (it serves {self.version!r})")

    async def _run(self, payload: Payload, method: str) -> np.ndarray:
        REQUEST_ROWS.set(payload.rows)
        try:
            return await self.batcher.submit(payload, method)
        except (ValueError, TypeError) as exc:  # scikit-learn's way of rejecting input
            raise Unprocessable(f"the model rejected the input: {exc}") from exc
        except Exception as exc:
            raise PredictionFailed(f"prediction failed: {type(exc).__name__}: {exc}") from exc
