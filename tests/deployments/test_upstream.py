"""UpstreamPool against real HTTP servers on loopback: uvicorn (what replicas run) in a
thread, and a hand-written asyncio server for the failure modes uvicorn won't produce."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from kubeserve.deployments.upstream import UpstreamPool, UpstreamUnavailable, _head


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


class Replica:
    """A uvicorn server: POST /echo echoes the body; GET /chunked streams (chunked TE)."""

    def __init__(self) -> None:
        self.clients: set[tuple[str, int]] = set()  # one client address per connection

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.clients.add(scope["client"])
        headers = dict(scope["headers"])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/chunked":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
            )
            for part in (b"one ", b"two ", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        status = int(headers.get(b"x-status", b"200"))
        content_type = headers.get(b"x-type", b"application/json")
        extra = [(b"x-kubeserve-rows", headers[b"x-rows"])] if b"x-rows" in headers else []
        if b"x-length" in headers:
            extra.append((b"inference-header-content-length", headers[b"x-length"]))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
                + extra,
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def replica() -> Iterator[tuple[str, Replica]]:
    app, sock = Replica(), socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    server.should_exit = True
    thread.join(10)


class RawServer:
    """asyncio.start_server speaking just enough HTTP/1.1; the request path picks a behaviour."""

    def __init__(self) -> None:
        self.accepts = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
                body = await reader.readexactly(int(length[1]) if length else 0)
                path = head.split(b" ", 2)[1]
                if path == b"/slow":
                    await asyncio.Event().wait()  # never answers (cancelled on close)
                if path == b"/die":
                    return  # reads the request, closes without a byte
                if path == b"/partial":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
                    await writer.drain()
                    return
                if path == b"/eof":  # no Content-Length, no chunks: the body ends at EOF
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end")
                    return
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def drop_connections(self) -> None:
        for writer in self.writers:
            writer.close()

    async def kill(self) -> None:
        self.server.close()
        self.drop_connections()
        await self.server.wait_closed()


@pytest.fixture
async def pool() -> AsyncIterator[UpstreamPool]:
    pool = UpstreamPool()
    yield pool
    await pool.close()


@pytest.fixture
async def raw() -> AsyncIterator[tuple[str, RawServer]]:
    server = RawServer()
    url = await server.start()
    yield url, server
    await server.kill()


def idle_count(pool: UpstreamPool) -> int:
    return sum(len(idle) for idle in pool._idle.values())


async def test_status_content_type_and_body_pass_through(pool, replica) -> None:
    url, _ = replica
    headers = {"X-Status": "422", "X-Type": "application/problem+json"}
    answer = await pool.request(url, "POST", "/echo", headers, b'{"x": 1}', 5)
    assert answer == (422, b"application/problem+json", b'{"x": 1}', 0, b"")
    raw_headers = [(b"x-status", b"201"), (b"x-type", b"text/plain"), (b"x-rows", b"17"), (b"x-length", b"7")]
    answer = await pool.request(url, "POST", "/echo", raw_headers, b"", 5)
    assert answer == (201, b"text/plain", b"", 17, b"7")  # X-KubeServe-Rows, the V2 binary header
    answer = await pool.request(url, "POST", "/echo", {}, b"", 5)  # same connection: reset
    assert answer == (200, b"application/json", b"", 0, b"")


async def test_sequential_requests_reuse_one_connection(pool, replica) -> None:
    url, app = replica
    before = len(app.clients)
    for i in range(20):
        assert (await pool.request(url, "POST", "/echo", {}, b"%d" % i, 5))[2] == b"%d" % i
    assert len(app.clients) == before + 1
    assert idle_count(pool) == 1


async def test_concurrent_requests_all_answered_correctly(pool, replica) -> None:
    url, _ = replica
    bodies = [b'{"n": %d}' % i for i in range(100)]
    answers = await asyncio.gather(*(pool.request(url, "POST", "/echo", {}, b, 5) for b in bodies))
    assert [a[2] for a in answers] == bodies
    assert 1 <= idle_count(pool) <= 100


async def test_chunked_response(pool, replica) -> None:
    url, _ = replica
    assert await pool.request(url, "GET", "/chunked", {}, b"", 5) == (
        200,
        b"text/plain",
        b"one two three",
        0,
        b"",
    )


async def test_large_bodies_both_ways(pool, replica) -> None:
    url, _ = replica
    big = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    status, _, body, _, _ = await pool.request(url, "POST", "/echo", {}, big, 30)
    assert status == 200 and body == big


async def test_idle_connection_closed_by_server_is_replaced(pool, raw) -> None:
    url, server = raw
    assert (await pool.request(url, "POST", "/", {}, b"a", 5))[2] == b"a"
    server.drop_connections()
    await wait_for(lambda: idle_count(pool) == 0)  # the pool noticed: drops it from idle
    assert (await pool.request(url, "POST", "/", {}, b"b", 5))[2] == b"b"
    assert server.accepts == 2


async def test_keep_alive_race_is_retried_transparently(pool, raw) -> None:
    url, server = raw
    assert (await pool.request(url, "POST", "/", {}, b"a", 5))[2] == b"a"
    server.drop_connections()  # the close is under way, but the pool has not seen it yet
    assert idle_count(pool) == 1
    assert (await pool.request(url, "POST", "/", {}, b"b", 5))[2] == b"b"
    assert server.accepts == 2


async def test_killed_server_is_unavailable(pool, raw) -> None:
    url, server = raw
    assert (await pool.request(url, "POST", "/", {}, b"a", 5))[2] == b"a"
    await server.kill()
    with pytest.raises(UpstreamUnavailable):
        await pool.request(url, "POST", "/", {}, b"b", 5)
    with pytest.raises(UpstreamUnavailable):  # and nothing is left to reuse
        await pool.request(url, "POST", "/", {}, b"c", 5)


async def test_connection_dropped_before_answering_is_unavailable(pool, raw) -> None:
    url, server = raw
    with pytest.raises(UpstreamUnavailable):
        await pool.request(url, "POST", "/die", {}, b"", 5)
    assert server.accepts == 1  # a fresh connection failing is not retried


async def test_partial_response_is_not_resent(pool, raw) -> None:
    url, server = raw
    await pool.request(url, "POST", "/", {}, b"warm", 5)
    with pytest.raises(UpstreamUnavailable):  # on a reused connection, but bytes had arrived
        await pool.request(url, "POST", "/partial", {}, b"", 5)
    assert server.accepts == 1


async def test_body_delimited_by_eof(pool, raw) -> None:
    url, _ = raw
    assert await pool.request(url, "GET", "/eof", {}, b"", 5) == (200, b"text/plain", b"to the end", 0, b"")
    assert idle_count(pool) == 0


async def test_slow_server_times_out_and_connection_is_discarded(pool, raw) -> None:
    url, server = raw
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await pool.request(url, "POST", "/slow", {}, b"", 0.2)
    assert 0.15 < time.monotonic() - started < 2
    assert (await pool.request(url, "POST", "/", {}, b"ok", 5))[2] == b"ok"
    assert server.accepts == 2


async def test_unreachable_port_is_unavailable(pool) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    try:
        with pytest.raises(UpstreamUnavailable):
            await pool.request(f"http://127.0.0.1:{sock.getsockname()[1]}", "GET", "/", {}, b"", 5)
    finally:
        sock.close()


def test_request_head_is_encoded_and_injection_safe() -> None:
    head = _head("POST", "/v2/a b\r\nX: y", b"h:1", {"Content-Type": "application/json"}, 2)
    assert head == (
        b"POST /v2/a%20b%0D%0AX:%20y HTTP/1.1\r\nHost: h:1\r\nContent-Length: 2\r\n"
        b"Content-Type: application/json\r\n\r\n"
    )
    with pytest.raises(ValueError):
        _head("GET", "/", b"h:1", {"X-Evil": "a\r\nInjected: 1"}, 0)


async def test_unix_socket_target_keeps_connections_alive(pool, tmp_path) -> None:
    """A replica in its own network namespace answers on a Unix socket in its directory."""
    app, path = Replica(), tmp_path / "replica.sock"
    server = uvicorn.Server(uvicorn.Config(app, uds=str(path), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        await wait_for(lambda: server.started, 10)
        for body in (b"one", b"two", b"three"):
            status, _, answer, _, _ = await pool.request(f"unix:{path}", "POST", "/echo", {}, body, 5)
            assert (status, answer) == (200, body)
        assert idle_count(pool) == 1  # one connection, reused
        with pytest.raises(UpstreamUnavailable):
            await pool.request(f"unix:{tmp_path}/missing.sock", "POST", "/echo", {}, b"", 5)
        with pytest.raises(ValueError):
            await pool.request("unix:relative.sock", "POST", "/echo", {}, b"", 5)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
