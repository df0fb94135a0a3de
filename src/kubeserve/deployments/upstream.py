"""A minimal HTTP/1.1 keep-alive client for the gateway's loopback hop to model replicas.

asyncio Protocol + httptools (the parser uvicorn uses): a request costs one write, one
parse and one future, a fraction of a general-purpose client's per-request work. A target is
`http://host:port` or `unix:/path/to/socket` (HTTP over a Unix socket, e.g. a replica in its
own network namespace). Idle connections are kept per target, most recently used first. A
connection that errors, times out, is cancelled mid-request or is closed by the peer is never
reused.
"""

from __future__ import annotations

import asyncio
import functools
from functools import lru_cache
from urllib.parse import quote, urlsplit

import httptools

HeaderList = dict[str, str] | list[tuple[bytes, bytes]]
# status, content type, body, rows predicted (a replica's X-KubeServe-Rows; 0 when absent),
# Inference-Header-Content-Length (b"" when absent: only V2 binary answers carry it)
Reply = tuple[int, bytes, bytes, int, bytes]
ROWS_HEADER = b"x-kubeserve-rows"
HEADER_LENGTH = b"inference-header-content-length"
UNIX_PREFIX = "unix:"  # `unix:/abs/path.sock`: HTTP over a Unix domain socket
# A replica runs user code: an answer larger than this is refused while it streams in, so no
# replica can fill the control plane's memory (the gateway's and the metrics sampler's).
MAX_ANSWER = 64 * 1024 * 1024


class UpstreamUnavailable(ConnectionError):
    """The replica is unreachable or dropped the connection before a full response.

    `sent`: the request may have reached the replica (it was written and the connection then
    dropped), so the replica may have died *of* it; otherwise it certainly never arrived."""

    def __init__(self, message: str, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class AnswerTooLarge(UpstreamUnavailable):
    """The replica's answer grew past the pool's limit; the connection was dropped."""


class _Dropped(Exception):
    def __init__(self, answered: bool, sent: bool = True) -> None:
        super().__init__("connection closed before a full response")
        self.answered = answered  # some response bytes had arrived: not safe to resend
        self.sent = sent  # the request was written before the connection dropped


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    def __init__(self, idle: list[_Connection], max_answer: int = MAX_ANSWER) -> None:
        self.idle = idle  # the pool's idle list for this (host, port)
        self.max_answer, self.size = max_answer, 0
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Reply] | None = None
        self.open, self.answered, self.keep_alive = True, False, False
        self.headed, self.framed = False, False  # unframed body: it ends at EOF
        self.content_type = self.header_length = b""
        self.rows = 0
        self.chunks: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self in self.idle:
            self.idle.remove(self)
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if self.headed and not self.framed and exc is None:
            waiter.set_result(self._reply())
        else:
            waiter.set_exception(_Dropped(self.answered))

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
        name = name.lower()
        if name == b"content-type":
            self.content_type = value
        elif name == ROWS_HEADER and value.isdigit():
            self.rows = int(value)
        elif name == HEADER_LENGTH:
            self.header_length = value
        elif name in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.headed = True

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.max_answer:
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_exception(AnswerTooLarge(f"the answer is larger than {self.max_answer} bytes"))
            self.chunks = []
            self.close()
            return
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        self.keep_alive = self.parser.should_keep_alive()
        if waiter is not None and not waiter.done():
            waiter.set_result(self._reply())

    def _reply(self) -> Reply:
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        return self.parser.get_status_code(), self.content_type, body, self.rows, self.header_length

    def send(self, head: bytes, body: bytes) -> asyncio.Future[Reply]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.answered = self.keep_alive = self.headed = self.framed = False
        self.content_type, self.chunks, self.rows, self.size, self.header_length = b"", [], 0, 0, b""
        try:
            if len(body) < 65536:
                self.transport.write(head + body)
            else:  # don't copy large bodies just to save a syscall
                self.transport.write(head)
                self.transport.write(body)
        except (OSError, RuntimeError):
            self.waiter.set_exception(_Dropped(False, sent=False))
            self.close()
        return self.waiter

    def expire(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(TimeoutError("the upstream did not answer in time"))
        self.close()

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.abort()


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to replicas, reused per target (host and port, or socket)."""

    def __init__(
        self, max_idle_per_host: int = 256, connect_timeout: float = 2.0, max_answer: int = MAX_ANSWER
    ) -> None:
        self.max_idle, self.connect_timeout, self.max_answer = max_idle_per_host, connect_timeout, max_answer
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._hosts: dict[str, tuple[str, int, bytes]] = {}  # port -1: host is a socket path

    async def request(
        self, base_url: str, method: str, path: str, headers: HeaderList, body: bytes, timeout: float
    ) -> Reply:
        """Send one request; return (status, content-type, body, rows, V2 binary header length).

        `path` is decoded (it is percent-encoded here). Raises UpstreamUnavailable or
        TimeoutError (after `timeout` seconds in all, connecting included).
        """
        host, port, host_header = self._host(base_url)
        head = _head(method, path, host_header, headers, len(body))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        idle = self._idle.get((host, port))
        sent = False
        while idle:
            conn = idle.pop()
            if conn.open:  # a keep-alive race (peer closed it meanwhile) may still lose once:
                try:  # then resend on a fresh connection, as nothing was answered
                    return await self._exchange(loop, conn, head, body, deadline)
                except _Dropped as exc:
                    if exc.answered:
                        raise UpstreamUnavailable(str(exc), sent=True) from None
                    # Or the replica died of this very request: if it is gone now, say so.
                    sent = exc.sent
                break
        conn = await self._connect(host, port, deadline, sent)
        try:
            return await self._exchange(loop, conn, head, body, deadline)
        except _Dropped as exc:
            raise UpstreamUnavailable(str(exc), sent=sent or exc.sent) from None

    async def close(self) -> None:
        """Close every idle connection (requests in flight finish on their own)."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    async def _exchange(
        self, loop: asyncio.AbstractEventLoop, conn: _Connection, head: bytes, body: bytes, deadline: float
    ) -> Reply:
        timer = loop.call_at(deadline, conn.expire)  # cheaper than asyncio.timeout_at
        try:
            answer = await conn.send(head, body)
        except BaseException:  # timed out, dropped, or cancelled with the request in flight
            conn.close()
            raise
        finally:
            timer.cancel()
        if conn.keep_alive and conn.open and len(conn.idle) < self.max_idle:
            conn.idle.append(conn)
            return answer
        conn.close()
        return answer

    async def _connect(self, host: str, port: int, deadline: float, sent: bool = False) -> _Connection:
        loop = asyncio.get_running_loop()
        idle = self._idle.setdefault((host, port), [])
        factory = functools.partial(_Connection, idle, self.max_answer)
        where = host if port < 0 else f"{host}:{port}"
        try:
            async with asyncio.timeout_at(min(deadline, loop.time() + self.connect_timeout)):
                if port < 0:
                    _, conn = await loop.create_unix_connection(factory, host)
                else:
                    _, conn = await loop.create_connection(factory, host, port)
        except TimeoutError:
            if loop.time() >= deadline:
                raise
            raise UpstreamUnavailable(f"connecting to {where} timed out", sent) from None
        except OSError as exc:
            raise UpstreamUnavailable(f"cannot connect to {where}: {exc}", sent) from exc
        return conn

    def _host(self, base_url: str) -> tuple[str, int, bytes]:
        known = self._hosts.get(base_url)
        if known is None and base_url.startswith(UNIX_PREFIX):
            path = base_url[len(UNIX_PREFIX) :]
            if not path.startswith("/"):
                raise ValueError(f"not an absolute socket path: {base_url!r}")
            known = self._hosts[base_url] = (path, -1, b"localhost")
        if known is None:
            url = urlsplit(base_url)
            if url.scheme != "http" or not url.hostname or url.path not in ("", "/"):
                raise ValueError(f"not a plain http://host:port URL or unix:/path: {base_url!r}")
            known = (url.hostname, url.port or 80, url.netloc.encode())
            self._hosts[base_url] = known
        return known


def _head(method: str, path: str, host: bytes, headers: HeaderList, length: int) -> bytes:
    if isinstance(headers, dict):
        lines = [f"{name}: {value}".encode("latin-1") for name, value in headers.items()]
    else:
        lines = [b"%s: %s" % (name, value) for name, value in headers]
    for line in lines:
        if b"\r" in line or b"\n" in line:
            raise ValueError(f"CR/LF in request header {line!r}")
    first = b"%sContent-Length: %d" % (_request_line(method, path, host), length)
    return b"\r\n".join([first, *lines, b"\r\n"])


@lru_cache(maxsize=1024)
def _request_line(method: str, path: str, host: bytes) -> bytes:
    """`POST /predict HTTP/1.1` and the Host header; the path percent-encoded."""
    target = quote(path, safe="/:@!$&'()*+,;=")
    return b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), target.encode(), host)
