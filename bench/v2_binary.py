"""V2 on a 64-row batch: JSON tensors against the binary tensor data extension.

One KubeServe model server per model (iris LogisticRegression, 4 features; the 20-feature
forest), the same 64 rows sent four ways: JSON in and out, binary in and out (what
`tritonclient` sends by default), binary in with JSON out, and `/predict` rows as the
reference of the same run. Every body's answer is checked equal to in-process `predict`
first, and a warm-up run lets the server's start-up probe finish. Server side: wrk at 1 and 8
connections, the bodies interleaved over `--rounds` rounds, medians kept (the machine is
shared: neighbours' load moves every number; interleaving spreads it). Client side: Triton's
own Python client, JSON (`binary_data=False`) against its defaults, median of 300 calls. Results go to
bench/results/v2-binary-latest.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import run_wrk  # noqa: E402
from models import build  # noqa: E402
from servers import SERVERS, first_good_answer, launch, stop  # noqa: E402

HERE = Path(__file__).resolve().parent
PATH = "/v2/models/model/infer"


def bodies(rows: list[list[float]]) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    """Name -> (path, body, headers) for the four ways of sending the batch."""
    x = np.asarray(rows, dtype=np.float64)
    tensor = {"name": "input-0", "shape": list(x.shape), "datatype": "FP64"}
    as_json = orjson.dumps({"inputs": [{**tensor, "data": x.ravel().tolist()}]})

    def binary(outputs_binary: bool) -> tuple[str, bytes, dict[str, str]]:
        raw = x.tobytes()
        doc = {
            "inputs": [{**tensor, "parameters": {"binary_data_size": len(raw)}}],
            "outputs": [{"name": "predict", "parameters": {"binary_data": outputs_binary}}],
        }
        head = orjson.dumps(doc)
        headers = {
            "Inference-Header-Content-Length": str(len(head)),
            "Content-Type": "application/octet-stream",
        }
        return PATH, head + raw, headers

    return {
        "/predict rows (JSON)": (
            "/predict",
            orjson.dumps({"data": rows}),
            {"Content-Type": "application/json"},
        ),
        "V2 JSON in, JSON out": (PATH, as_json, {"Content-Type": "application/json"}),
        "V2 binary in, JSON out": binary(False),
        "V2 binary in, binary out": binary(True),
    }


def answer(content: bytes, headers: Any) -> list[Any]:
    length = headers.get("inference-header-content-length")
    if length is None:
        doc = orjson.loads(content)
        return doc["predictions"] if "predictions" in doc else doc["outputs"][0]["data"]
    head = orjson.loads(content[: int(length)])
    out = head["outputs"][0]
    if "data" in out:
        return out["data"]
    return np.frombuffer(content[int(length) :], dtype="<i8").tolist()


def wrk_script(path: Path, url_path: str, body: bytes, headers: dict[str, str]) -> Path:
    body_file = path.with_suffix(".body")
    body_file.write_bytes(body)
    lines = [
        'wrk.method = "POST"',
        f'wrk.path = "{url_path}"',
        f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def triton_client_ms(host: str, rows: list[list[float]], binary: bool, calls: int = 300) -> float:
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url=host)
    x = triton.InferInput("input-0", [len(rows), len(rows[0])], "FP64")
    x.set_data_from_numpy(np.asarray(rows, dtype=np.float64), binary_data=binary)
    outputs = [triton.InferRequestedOutput("predict", binary_data=binary)]
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        client.infer("model", [x], outputs=outputs).as_numpy("predict")
        times.append(time.perf_counter() - start)
    client.close()
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = HERE / ".work"
    models = build(work)
    kubeserve = SERVERS[0]
    lines = [
        "# V2 on a 64-row batch: JSON against binary tensors",
        "",
        "| model | body | bytes | c=1 req/s | c=1 p50 ms | c=8 req/s | vs JSON (c=8) |",
        "|---|---|---|---|---|---|---|",
    ]
    client_lines = [
        "",
        "| model | tritonclient JSON p50 ms | tritonclient binary p50 ms | ratio |",
        "|---|---|---|---|",
    ]
    for name, spec in models.items():
        proc, base = launch(kubeserve, spec["path"], work, {})
        try:
            first_good_answer(kubeserve, base, proc, spec["rows"], spec["expected"])
            import httpx

            scripts = {}
            for label, (url_path, body, headers) in bodies(spec["rows"]).items():
                r = httpx.post(base + url_path, content=body, headers=headers)
                assert r.status_code == 200, r.text
                assert answer(r.content, r.headers) == spec["expected"], label
                scripts[label] = (
                    len(body),
                    wrk_script(work / f"{name}-{len(scripts)}.lua", url_path, body, headers),
                )
            run_wrk(base, next(iter(scripts.values()))[1], 8, 2)  # warm-up
            runs: dict[tuple[str, int], list[Any]] = {}
            for _ in range(args.rounds):
                for label, (_, script) in scripts.items():
                    for connections in (1, 8):
                        result = run_wrk(base, script, connections, args.seconds)
                        assert result.errors == 0, label
                        runs.setdefault((label, connections), []).append(result)

            def median(label: str, connections: int, field: str, runs: dict[Any, list[Any]] = runs) -> float:
                return statistics.median(getattr(r, field) for r in runs[(label, connections)])

            reference = median("V2 JSON in, JSON out", 8, "rps")
            for label, (size, _) in scripts.items():
                lines.append(
                    f"| {name} | {label} | {size:,} | {median(label, 1, 'rps'):,.0f} "
                    f"| {median(label, 1, 'p50_ms'):.2f} | {median(label, 8, 'rps'):,.0f} "
                    f"| {median(label, 8, 'rps') / reference:.2f}x |"
                )
            host = base.removeprefix("http://")
            as_json = triton_client_ms(host, spec["rows"], binary=False)
            as_binary = triton_client_ms(host, spec["rows"], binary=True)
            client_lines.append(f"| {name} | {as_json:.2f} | {as_binary:.2f} | {as_json / as_binary:.2f}x |")
        finally:
            stop(proc)
    text = "\n".join(lines + client_lines) + "\n"
    print(text)
    (HERE / "results" / "v2-binary-latest.md").write_text(text)


if __name__ == "__main__":
    main()
