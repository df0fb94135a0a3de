"""Slow clients (slowloris): uvicorn has no deadline for a request's head, so a client that
sends its headers a byte at a time holds a connection — and a file descriptor — forever; a few
thousand of them and the control plane accepts nobody.

`guarded_protocol` is uvicorn's httptools protocol with two bounds, for `kubeserve server`:
- a request's head (request line + headers) must arrive within `header_timeout` seconds of
  its first byte, or of the connection opening; then its body may pause at most that long
  between two pieces (unless the server itself stopped reading: back-pressure); otherwise the
  connection is closed;
- one client address holds at most `per_address` connections whose request is still
  arriving (head or body); a new one closes another of that address's: the oldest still
  sending its head, else the body that moved least recently. So a real client behind the same
  address still gets in (its head arrives in milliseconds, the attacker's never does), and an
  honest upload that keeps sending outlives slow heads and stalled bodies from its address (a
  NAT, or an Ingress that streams big uploads).
In production the chart's Ingress sits in front with its own header and body timeouts (and
buffers bodies, so requests reach the control plane whole).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _Pending:
    """Connections whose request is still arriving, by client address, oldest first."""

    def __init__(self) -> None:
        self.by_address: dict[str, OrderedDict[int, GuardedProtocol]] = {}

    def add(self, protocol: GuardedProtocol, per_address: int) -> None:
        waiting = self.by_address.setdefault(protocol.address, OrderedDict())
        waiting[id(protocol)] = protocol
        while len(waiting) > per_address:
            others = [p for p in waiting.values() if p is not protocol]
            heads = [p for p in others if not p.in_body]  # oldest first
            victim = heads[0] if heads else min(others, key=lambda p: p.moved_at)
            victim.close_slow()  # (leaves `waiting` through `discard`)

    def discard(self, protocol: GuardedProtocol) -> None:
        waiting = self.by_address.get(protocol.address)
        if waiting is not None and waiting.pop(id(protocol), None) is not None and not waiting:
            del self.by_address[protocol.address]


class GuardedProtocol(HttpToolsProtocol):
    header_timeout: float
    per_address: int
    pending: _Pending
    _deadline: asyncio.TimerHandle | None = None
    _arriving = False  # counted in `pending` until the whole request has arrived
    in_body = False  # the head has arrived; the body is arriving
    moved_at = 0.0  # loop time of the body's latest piece
    address: str = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = self.client[0] if self.client else ""
        self._await_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_body = False
        self._await_head()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self.in_body, self.moved_at = True, self.loop.time()
        self._rearm(self._body_stalled)  # the body's first piece: within the same bound
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self.moved_at = self.loop.time()
        self._rearm(self._body_stalled)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._arrived()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arrived()
        super().connection_lost(exc)

    def close_slow(self) -> None:
        self._arrived()
        if not self.transport.is_closing():
            self.transport.close()

    def _await_head(self) -> None:
        if not self._arriving:
            self._arriving = True
            self._rearm(self.close_slow)
            self.pending.add(self, self.per_address)

    def _body_stalled(self) -> None:
        if self.flow is not None and self.flow.read_paused:  # we stopped reading, not them
            self._rearm(self._body_stalled)
        else:
            self.close_slow()

    def _rearm(self, then: Callable[[], None]) -> None:
        if self._arriving:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(self.header_timeout, then)

    def _arrived(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._arriving:
            self._arriving = False
            self.pending.discard(self)


def guarded_protocol(header_timeout: float, per_address: int) -> type[GuardedProtocol]:
    """A protocol class for `uvicorn.Config(http=...)` with these bounds (one server's state)."""
    attributes: dict[str, Any] = {
        "header_timeout": header_timeout,
        "per_address": per_address,
        "pending": _Pending(),
    }
    return type("GuardedHttpToolsProtocol", (GuardedProtocol,), attributes)
