"""Slowloris: clients that send a request's headers a byte at a time, against the control
plane run as `kubeserve server` runs it. Before the guard (kubeserve/slow_clients.py) every
such connection stayed open for good: 1,005 of them took the last file descriptors of a
control plane limited to 1,024 and it answered nobody (notes/cleanup.md)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import serve

PER_ADDRESS = 4


@pytest.fixture
def base(settings: Settings, request: pytest.FixtureRequest) -> Iterator[str]:
    """`request.param`: the header timeout (seconds)."""
    settings.header_timeout_seconds = request.param
    settings.slow_connections_per_address = PER_ADDRESS
    yield from serve(settings)


def slow_client(base: str, source: str) -> socket.socket:
    """A connection from `source` that has sent half a request head."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0))
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    sock.setblocking(False)
    return sock


def closed(sock: socket.socket) -> bool:
    """The server has closed it (dribbling one more header byte first, as slowloris does)."""
    try:
        sock.send(b"X")
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def poll(check, what: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("base", [1], indirect=True)
def test_a_client_that_never_finishes_its_headers_is_cut_off(base: str) -> None:
    sock = slow_client(base, "127.0.0.1")
    try:
        poll(lambda: closed(sock), "the server to close the slow connection")
    finally:
        sock.close()


@pytest.mark.parametrize("base", [600], indirect=True)  # only the per-address bound can close them
def test_one_address_holds_a_few_slow_connections_and_others_are_served(base: str) -> None:
    socks = [slow_client(base, "127.0.0.2") for _ in range(5 * PER_ADDRESS)]
    try:
        poll(lambda: sum(not closed(s) for s in socks) <= PER_ADDRESS, "the oldest to be closed", 5)
        assert httpx.get(f"{base}/api/v1/health", timeout=10).status_code == 200  # another address
        # the same address's real client gets in too (its head arrives at once)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10) as http:
            assert http.get(f"{base}/api/v1/health").status_code == 200
    finally:
        for s in socks:
            s.close()


def slow_body(base: str, source: str) -> socket.socket:
    """A connection from `source` that sent a whole head, then one byte of a 500-byte body."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0))
    head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock.sendall(f"{head}Content-Length: 500\r\n\r\n{{".encode())
    sock.setblocking(False)
    return sock


def open_(sock: socket.socket) -> bool:
    """Still open, without sending anything (the body must stay incomplete)."""
    try:
        return sock.recv(1024, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@pytest.mark.parametrize("base", [1, 600], indirect=True)  # the stall deadline; the per-address bound
def test_a_client_that_dribbles_its_body_is_bounded_too(base: str) -> None:
    socks = [slow_body(base, "127.0.0.3") for _ in range(5 * PER_ADDRESS)]
    try:
        poll(lambda: sum(open_(s) for s in socks) <= PER_ADDRESS, "slow bodies to be cut off", 5)
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("base", [600], indirect=True)
def test_an_upload_that_keeps_sending_survives_slow_heads_from_its_address(base: str) -> None:
    upload = slow_body(base, "127.0.0.4")  # sends steadily below: never stalls
    attackers: list[socket.socket] = []
    try:
        upload.send(b" ")
        attackers = [slow_client(base, "127.0.0.4") for _ in range(2 * PER_ADDRESS)]
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and open_(upload):
            with contextlib.suppress(OSError):  # closed: seen by open_ next
                upload.send(b" ")  # 1 byte per 50 ms, far from the 500 declared
            time.sleep(0.05)
        assert open_(upload), "the honest upload was closed"
        poll(lambda: sum(open_(s) for s in attackers) <= PER_ADDRESS - 1, "slow heads to be cut off", 5)
    finally:
        for s in [upload, *attackers]:
            s.close()
