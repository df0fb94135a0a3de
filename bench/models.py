"""The benchmark's models and the in-process `predict` floor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

FLOOR_SCRIPT = """
import json, sys, time, joblib, numpy as np
model = joblib.load(sys.argv[1]); rows = np.array(json.loads(sys.argv[2]))
def median_ms(x, n):
    model.predict(x)
    times = []
    for _ in range(n):
        t = time.perf_counter(); model.predict(x); times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)
n = int(sys.argv[3])
from threadpoolctl import threadpool_info
blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info() if i.get("user_api") == "blas"]
print(json.dumps({"row": median_ms(rows[:1], n), "batch": median_ms(rows, n), "blas": blas}))
"""


def build(work: Path) -> dict[str, dict[str, Any]]:
    """iris LogisticRegression and a 100-tree depth-10 forest on 20 synthetic features."""
    import joblib
    from sklearn.datasets import load_iris, make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    work.mkdir(parents=True, exist_ok=True)
    x, y = load_iris(return_X_y=True)
    xf, yf = make_classification(n_samples=5000, n_features=20, n_informative=10, random_state=0)
    specs = {
        "iris": (LogisticRegression(max_iter=1000).fit(x, y), x),
        "forest": (RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0).fit(xf, yf), xf),
    }
    models = {}
    for name, (model, data) in specs.items():
        path = work / name / "model.joblib"
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path)
        rows = data[:64].tolist()
        models[name] = {"path": path, "rows": rows, "expected": model.predict(data[:64]).tolist()}
    return models


def floor(
    python: str, path: Path, rows: list[list[float]], env: dict[str, str], repeats: int = 2000
) -> dict[str, Any]:
    """Median in-process predict time (ms) for one row and for 64 rows, in a fresh process."""
    out = subprocess.run(
        [python, "-c", FLOOR_SCRIPT, str(path), json.dumps(rows), str(repeats)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
