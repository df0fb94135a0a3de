"""Small IO helpers of the local runtime: a free port, readiness probes, a log tail."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from pathlib import Path

import httpx

from kubeserve.runtime.base import TOKEN_HEADER, Upstream


def free_port() -> int:
    """A loopback port nobody listens on right now (the replica binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the loopback port now (TIME_WAIT leftovers aside)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def probe(http: httpx.AsyncClient, url: str, token: str) -> tuple[str, str]:
    """GET /ready: ("ready" | "loading" | "down" | "failed", detail).

    "failed" is final: the server stays up to explain itself, but will never get ready.
    """
    try:
        answer = await http.get(f"{url}/ready", headers={TOKEN_HEADER: token}, timeout=2.0)
    except httpx.HTTPError as exc:
        return "down", type(exc).__name__
    if answer.status_code == 200:
        return "ready", ""
    if answer.status_code == 403:
        return "failed", "the replica refused its own token"
    try:
        body = answer.json()
    except ValueError:
        body = {}
    detail = str(body.get("detail", answer.text[:200]))
    return ("failed" if body.get("status") == "failed" else "loading"), detail


async def wait_ready(
    http: httpx.AsyncClient, proc: asyncio.subprocess.Process, url: str, token: str, timeout: float
) -> str | None:
    """None once /ready says so; else why not (exit, start-up failure, deadline)."""
    deadline, pause = time.monotonic() + timeout, 0.01
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            return f"exited with code {proc.returncode} before becoming ready"
        state, detail = await probe(http, url, token)
        if state == "ready":
            return None
        if state == "failed":
            return detail
        await exit_or_timeout(proc, pause)  # wakes at once if it dies meanwhile
        pause = min(pause * 1.5, 0.1)  # fast at first: a warm replica is ready in ~50 ms
    return f"not ready after {timeout:g} s"


async def answers_again(
    http: httpx.AsyncClient, proc: asyncio.subprocess.Process, endpoint: Upstream, seconds: float
) -> bool:
    """Whether a replica the gateway could not reach is ready again within `seconds`."""
    return await wait_ready(http, proc, endpoint.address, endpoint.token or "", seconds) is None


async def exit_or_timeout(proc: asyncio.subprocess.Process, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), seconds)


def tail_lines(path: Path, count: int, block: int = 64 * 1024) -> list[str]:
    """The last `count` lines of a log file (reads only its end)."""
    if count <= 0:
        return []
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - block * max(1, count // 200 + 1)))
            data = fh.read()
    except FileNotFoundError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-count:]


def append_line(path: Path, text: str) -> None:
    """A supervisor's note in a replica's log, between the child's own lines."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            fh.write(f"{stamp} [kubeserve] {text}\n")
