"""A minimal HTTP/1.1 keep-alive client for the gateway's loopback hop to model replicas.

asyncio Protocol + httptools (the parser uvicorn uses): a request costs one write, one
parse and one future, a fraction of a general-purpose client's per-request work. Idle
connections are kept per (host, port), most recently used first. A connection that errors,
times out, is cancelled mid-request or is closed by the peer is never reused.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit

import httptools

HeaderList = dict[str, str] | list[tuple[bytes, bytes]]


class UpstreamUnavailable(ConnectionError):
    """The replica is unreachable or dropped the connection before a full response."""


class _Dropped(Exception):
    def __init__(self, answered: bool) -> None:
        super().__init__("connection closed before a full response")
        self.answered = answered  # some response bytes had arrived: not safe to resend


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes, bytes]] | None = None
        self.open, self.answered, self.keep_alive = True, False, False
        self.content_type, self.chunks = b"", []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(_Dropped(self.answered))

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # nothing asked (e.g. a 408 before an idle close): unusable
            self.close()
            return
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.close()  # connection_lost fails the waiter

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.content_type = value

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        self.keep_alive = self.parser.should_keep_alive()
        if waiter is not None and not waiter.done():
            body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
            waiter.set_result((self.parser.get_status_code(), self.content_type, body))

    def send(self, head: bytes, body: bytes) -> asyncio.Future[tuple[int, bytes, bytes]]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.answered, self.keep_alive, self.content_type, self.chunks = False, False, b"", []
        if len(body) < 65536:
            self.transport.write(head + body)
        else:  # don't copy large bodies just to save a syscall
            self.transport.write(head)
            self.transport.write(body)
        return self.waiter

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.abort()


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to loopback replicas, reused per (host, port)."""

    def __init__(self, max_idle_per_host: int = 256, connect_timeout: float = 2.0) -> None:
        self.max_idle, self.connect_timeout = max_idle_per_host, connect_timeout
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._hosts: dict[str, tuple[str, int, bytes]] = {}

    async def request(self, base_url: str, method: str, path: str, headers: HeaderList,
                      body: bytes, timeout: float) -> tuple[int, bytes, bytes]:
        """Send one request; return (status, content-type, body).

        `path` is decoded (it is percent-encoded here). Raises UpstreamUnavailable or
        TimeoutError (after `timeout` seconds in all, connecting included).
        """
        host, port, host_header = self._host(base_url)
        head = _head(method, path, host_header, headers, len(body))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        idle = self._idle.get((host, port))
        while idle:
            conn = idle.pop()
            if conn.open:  # a keep-alive race (peer closed it meanwhile) may still lose once:
                try:  # then resend on a fresh connection, as nothing was answered
                    return await self._exchange(conn, head, body, deadline)
                except _Dropped as exc:
                    if exc.answered:
                        raise UpstreamUnavailable(str(exc)) from None
                break
        conn = await self._connect(host, port, deadline)
        try:
            return await self._exchange(conn, head, body, deadline)
        except _Dropped as exc:
            raise UpstreamUnavailable(str(exc)) from None

    async def close(self) -> None:
        """Close every idle connection (requests in flight finish on their own)."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    async def _exchange(self, conn: _Connection, head: bytes, body: bytes,
                        deadline: float) -> tuple[int, bytes, bytes]:
        try:
            async with asyncio.timeout_at(deadline):
                answer = await conn.send(head, body)
        except BaseException:
            conn.close()
            raise
        if conn.keep_alive and conn.open:
            idle = self._idle.setdefault(conn.key, [])
            if len(idle) < self.max_idle:
                idle.append(conn)
                return answer
        conn.close()
        return answer

    async def _connect(self, host: str, port: int, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(min(deadline, loop.time() + self.connect_timeout)):
                _, conn = await loop.create_connection(_Connection, host, port)
        except TimeoutError:
            if loop.time() >= deadline:
                raise
            raise UpstreamUnavailable(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise UpstreamUnavailable(f"cannot connect to {host}:{port}: {exc}") from exc
        conn.key = (host, port)
        return conn

    def _host(self, base_url: str) -> tuple[str, int, bytes]:
        known = self._hosts.get(base_url)
        if known is None:
            url = urlsplit(base_url)
            if url.scheme != "http" or not url.hostname:
                raise ValueError(f"not a plain http:// URL: {base_url!r}")
            port = url.port or 80
            known = (url.hostname, port, f"{url.hostname}:{port}".encode())
            self._hosts[base_url] = known
        return known


def _head(method: str, path: str, host: bytes, headers: HeaderList, length: int) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [b"%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d" % (
        method.encode(), quote(path, safe="/:@!$&'()*+,;=").encode(), host, length)]
    for name, value in items:
        line = b"%s: %s" % ((name, value) if isinstance(name, bytes) else
                            (name.encode("latin-1"), value.encode("latin-1")))
        if b"\r" in line or b"\n" in line:
            raise ValueError(f"CR/LF in request header {name!r}")
        lines.append(line)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)
