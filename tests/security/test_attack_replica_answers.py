"""A hostile replica answers the control plane with an endless body.

A replica runs user code, so its answers are the tenant's to shape. The gateway (every
prediction) and the metrics sampler (every few seconds, unasked) read them through
`UpstreamPool`; a body streamed without end must be cut off at a bound, not buffered until
the control plane — every tenant's gateway — runs out of memory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubeserve.deployments.upstream import MAX_ANSWER, UpstreamPool, UpstreamUnavailable

CHUNK = 1024 * 1024
OFFERED = 2 * MAX_ANSWER // CHUNK  # chunks the hostile replica is ready to send (bounded loop)


@pytest.mark.parametrize("framing", ["chunked", "content-length", "until-close"])
async def test_an_endless_answer_is_cut_off(tmp_path: Path, framing: str) -> None:
    sent = 0

    async def hostile(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        head = {
            "chunked": b"Transfer-Encoding: chunked\r\n",
            "content-length": b"Content-Length: %d\r\n" % (OFFERED * CHUNK),
            "until-close": b"Connection: close\r\n",
        }[framing]
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + head + b"\r\n")
        block = b"[" * CHUNK
        try:
            for _ in range(OFFERED):
                writer.write(b"%x\r\n%s\r\n" % (CHUNK, block) if framing == "chunked" else block)
                await writer.drain()
                sent += CHUNK
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    socket = tmp_path / "replica.sock"
    server = await asyncio.start_unix_server(hostile, path=str(socket))
    pool = UpstreamPool()
    try:
        with pytest.raises(UpstreamUnavailable, match="larger than"):
            await pool.request(f"unix:{socket}", "POST", "/predict", {}, b"{}", timeout=60)
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
    assert sent < OFFERED * CHUNK, "the whole endless answer was read"
