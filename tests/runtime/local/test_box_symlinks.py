"""Tenant code can write its box (/box, a host directory): whatever it plants there — a
symlink above all — the control plane must never follow. Planted here from the host through
the replica's own view of it (/proc/PID/root/box), exactly what code in the box can do."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kubeserve.runtime import sandbox
from kubeserve.runtime.local import LocalRuntime
from tests.runtime.helpers import make_spec, model_server_pid, pids, predict, wait_status

pytestmark = pytest.mark.slow
VICTIM = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{"victim": true}'


@pytest.fixture
async def victim(tmp_path: Path) -> AsyncIterator[tuple[Path, list[bytes]]]:
    """Another HTTP server on a host Unix socket (another tenant's replica, a daemon's API);
    it records every request that reaches it."""
    path, seen = tmp_path / "victim.sock", []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(VICTIM)
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(answer, str(path))
    yield path, seen
    server.close()


def plant_link(box: Path, name: str, target: Path) -> None:
    """Replace (atomically) or create `box/name` as a symlink to a host path."""
    tmp = box / f".{name}.tmp"
    os.symlink(target, tmp)
    os.replace(tmp, box / name)


@pytest.mark.skipif(not sandbox.support().available, reason="needs the sandbox (bubblewrap)")
async def test_symlinks_planted_in_a_box_are_never_followed(
    runtime: LocalRuntime,
    http: httpx.AsyncClient,
    iris_model: Path,
    name: str,
    tmp_path: Path,
    victim: tuple[Path, list[bytes]],
) -> None:
    victim_socket, seen = victim
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary").write_text("keep me")
    await runtime.apply(make_spec(name, iris_model))
    status = await wait_status(runtime, name, lambda s: s.ready_replicas == 1, "one ready replica")
    box = Path(f"/proc/{model_server_pid(pids(status)[0])}/root") / sandbox.BOX_DIR.relative_to("/")
    [endpoint] = runtime.endpoints(name)

    # the replica's socket (or whatever the box holds) now points at another server on the host
    files = [e.name for e in os.scandir(box) if not e.is_dir(follow_symlinks=False)]
    for entry in {*files, "replica.sock"}:
        plant_link(box, entry, victim_socket)
    plant_link(box, "escape-dir", outside)
    plant_link(box, "escape-file", outside / "canary")
    (box / "nested").mkdir()
    plant_link(box / "nested", "deeper", outside)

    # a fresh connection to the replica's address (gateway, probes, metrics all connect so)
    answer = await predict(http, endpoint)
    assert answer.status_code == 200 and answer.json() == {"predictions": [0]}, answer.text
    assert seen == [], "the control plane connected to a socket the tenant pointed it at"
    assert not Path(endpoint.address.removeprefix("unix:")).parent.samefile(box)  # beside it

    # cleanup removes the links, never what they point at
    await runtime.delete(name)
    assert (outside / "canary").read_text() == "keep me" and sorted(os.listdir(outside)) == ["canary"]
    assert victim_socket.exists() and seen == []
