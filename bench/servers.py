"""The servers under test: how to start each, what to POST, how to read its answer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
MAIN_PYTHON = str(HERE.parent / ".venv" / "bin" / "python")
MLSERVER = str(HERE / ".venv-mlserver" / "bin" / "mlserver")


@dataclass
class Server:
    """One contender: `command(model_path, port, workdir)` starts it."""

    name: str
    command: Callable[[Path, int, Path], list[str]]
    path: str
    body: Callable[[list[list[float]]], dict[str, Any]]
    answer: Callable[[dict[str, Any]], list[Any]]
    cold_start: bool = True
    """False for a second protocol of the same process: its start was measured already."""


def _v2_body(rows: list[list[float]]) -> dict[str, Any]:
    return {
        "inputs": [{"name": "input-0", "shape": [len(rows), len(rows[0])], "datatype": "FP64", "data": rows}]
    }


def _kubeserve(model: Path, port: int, work: Path) -> list[str]:
    return [
        MAIN_PYTHON,
        "-m",
        "kubeserve.inference",
        "--artifact",
        str(model),
        "--port",
        str(port),
        "--name",
        "model",
    ]


def _fastapi(model: Path, port: int, work: Path) -> list[str]:
    return [MAIN_PYTHON, "-m", "uvicorn", "plain_fastapi:app", "--app-dir", str(HERE), "--port", str(port)]


def _mlserver(model: Path, port: int, work: Path) -> list[str]:
    """A model repository as MLServer's docs describe it; MLServer's defaults otherwise."""
    repo = work / f"mlserver-{port}"
    (repo / "model").mkdir(parents=True, exist_ok=True)
    (repo / "settings.json").write_text(
        json.dumps(
            {"http_port": port, "grpc_port": free_port(), "metrics_port": free_port(), "host": "127.0.0.1"}
        )
    )
    (repo / "model" / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "model",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": str(model), "version": "v1"},
            }
        )
    )
    return [MLSERVER, "start", str(repo)]


SERVERS = [
    Server("KubeServe", _kubeserve, "/predict", lambda rows: {"data": rows}, lambda doc: doc["predictions"]),
    Server(
        "KubeServe (V2)",
        _kubeserve,
        "/v2/models/model/infer",
        _v2_body,
        lambda doc: doc["outputs"][0]["data"],
        cold_start=False,
    ),
    Server(
        "MLServer 1.7.1", _mlserver, "/v2/models/model/infer", _v2_body, lambda doc: doc["outputs"][0]["data"]
    ),
    Server(
        "plain FastAPI", _fastapi, "/predict", lambda rows: {"data": rows}, lambda doc: doc["predictions"]
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(
    server: Server, model: Path, work: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (work / "logs").joinpath(f"{server.name.split()[0]}-{port}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**env, "MODEL_PATH": str(model)}  # the plain FastAPI server reads it
    proc = subprocess.Popen(
        server.command(model, port, work),
        cwd=work,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def first_good_answer(
    server: Server,
    base: str,
    proc: subprocess.Popen[bytes],
    rows: list[list[float]],
    expected: list[Any],
    deadline: float = 120,
) -> float:
    """Seconds until the server answers `rows` correctly (polling every 10 ms)."""
    start, body = time.monotonic(), server.body(rows)
    with httpx.Client(timeout=5) as client:
        while time.monotonic() - start < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{server.name} exited with {proc.returncode}")
            try:
                r = client.post(base + server.path, json=body)
                if r.status_code == 200:
                    got = server.answer(r.json())
                    if got != expected:
                        raise RuntimeError(f"{server.name} answered {got[:5]}..., expected {expected[:5]}...")
                    return time.monotonic() - start
            except httpx.TransportError:
                pass
            time.sleep(0.01)
    raise RuntimeError(f"{server.name} gave no good answer within {deadline} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL after 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, USS) of a process and all its descendants (MLServer runs worker processes).

    USS counts only private pages: what one more replica costs when libraries are shared.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    rss = uss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            rollup = dict(
                line.split(":", 1) for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:]
            )
        except (OSError, ValueError):
            continue
        kb = {k: int(v.split()[0]) for k, v in rollup.items()}
        rss += kb["Rss"]
        uss += kb["Private_Clean"] + kb["Private_Dirty"]
    return rss / 1024, uss / 1024
