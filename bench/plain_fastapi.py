"""The plain FastAPI + joblib server most people write first (the benchmark's baseline).

Run: MODEL_PATH=model.joblib uvicorn plain_fastapi:app --port 8000
"""

import os

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
model = joblib.load(os.environ["MODEL_PATH"])


class PredictRequest(BaseModel):
    data: list[list[float]]


@app.post("/predict")
def predict(request: PredictRequest) -> dict:
    return {"predictions": model.predict(np.array(request.data)).tolist()}
