"""Request logs: one structured line per prediction, per deployment, bounded on disk.

The gateway calls `record` on its hot path: a tuple appended to a list, nothing more. A
background task formats the pending entries as JSON lines every `FLUSH_SECONDS` and appends
them to `data_dir/request-logs/{deployment}.log`, rotated at `max_bytes` (one `.1` kept).
The newest `KEEP` entries of each deployment stay in memory, numbered by a cursor that only
grows, so `GET .../logs?since=cursor` returns exactly the entries after it (`--follow`).
The payload is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.25
KEEP = 2000  # entries per deployment kept in memory for reads

# time, deployment, release, replica, method, path, status, latency (s), rows, caller
Entry = tuple[float, str, int | None, str, str, str, int, float, int, str]


def as_dict(entry: Entry, cursor: int) -> dict[str, Any]:
    at, deployment, release, replica, method, path, status, latency, rows, caller = entry
    return {
        "cursor": cursor,
        "time": _iso(at),
        "deployment": deployment,
        "release": release,
        "replica": replica or None,
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": round(latency * 1000, 3),
        "rows": rows,
        "caller": caller,
    }


_second: list[Any] = [-1, ""]  # the last whole second formatted, and its text


def _iso(at: float) -> str:
    """UTC, milliseconds, `Z`: datetime would cost more than the rest of the entry, so the
    text of the current second is reused (entries come in bursts within one second)."""
    second = int(at)
    if second != _second[0]:
        _second[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))]
    return f"{_second[1]}.{int((at - second) * 1000):03d}Z"


class RequestLog:
    """Recent prediction requests of every deployment; `start()` runs the writer."""

    def __init__(self, directory: Path, max_bytes: int, enabled: bool = True) -> None:
        self.directory, self.max_bytes, self.enabled = directory, max_bytes, enabled
        self._pending: list[Entry] = []
        self._unwritten: dict[str, list[bytes]] = {}  # numbered, kept, not yet on disk
        # Cursors keep growing across restarts: they start at the clock, in microseconds.
        self._cursor = itertools.count(int(time.time() * 1_000_000))
        self._recent: dict[str, deque[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    def record(
        self,
        deployment: str,
        release: int | None,
        replica: str,
        method: str,
        path: str,
        status: int,
        latency: float,
        rows: int,
        caller: str,
    ) -> None:
        """One prediction request, answered (the hot path: no I/O, no formatting)."""
        if self.enabled:
            self._pending.append(
                (time.time(), deployment, release, replica, method, path, status, latency, rows, caller)
            )

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._task = asyncio.create_task(self._writer(), name="request-log")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        """Number, keep and write every pending entry."""
        self._absorb()
        lines, self._unwritten = self._unwritten, {}
        if lines:
            await asyncio.to_thread(self._write, lines)

    def _absorb(self) -> None:
        """Number and keep pending entries in memory (readers see every answered request at
        once); the file write follows at the next flush."""
        pending, self._pending = self._pending, []
        for entry in pending:
            item = as_dict(entry, next(self._cursor))
            self._entries(entry[1]).append(item)
            self._unwritten.setdefault(entry[1], []).append(orjson.dumps(item) + b"\n")

    def read(self, deployment: str, tail: int, since: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """The last `tail` entries (after cursor `since` when given), oldest first, and the
        cursor to pass next time."""
        self._absorb()
        entries = self._entries(deployment)
        newest = entries[-1]["cursor"] if entries else (since or 0)
        chosen = [e for e in entries if since is None or e["cursor"] > since]
        return chosen[-tail:], max(newest, since or 0)

    def drop(self, deployment: str) -> None:
        """A deleted deployment: forget its entries and remove its files."""
        self._absorb()
        self._unwritten.pop(deployment, None)
        self._recent.pop(deployment, None)
        for path in self._files(deployment):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _entries(self, deployment: str) -> deque[dict[str, Any]]:
        entries = self._recent.get(deployment)
        if entries is None:  # first use since start-up: what the file kept
            entries = self._recent[deployment] = deque(self._load(deployment), maxlen=KEEP)
        return entries

    def _load(self, deployment: str) -> Iterator[dict[str, Any]]:
        for path in reversed(self._files(deployment)):  # .1 (older) first
            with contextlib.suppress(FileNotFoundError):
                for line in path.read_bytes().splitlines()[-KEEP:]:
                    with contextlib.suppress(orjson.JSONDecodeError):
                        yield orjson.loads(line)

    def _files(self, deployment: str) -> list[Path]:
        current = self.directory / f"{deployment}.log"
        return [current, current.with_suffix(".log.1")]

    def _write(self, lines: dict[str, list[bytes]]) -> None:
        for deployment, chunk in lines.items():
            current, rotated = self._files(deployment)
            data = b"".join(chunk)
            with contextlib.suppress(FileNotFoundError):
                if current.stat().st_size + len(data) > self.max_bytes:
                    os.replace(current, rotated)
            fd = os.open(current, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "ab") as fh:
                fh.write(data)

    async def _writer(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)  # a period, not a synchronisation
            try:
                await self.flush()
            except OSError:  # a full disk must not stop predictions
                log.exception("could not write request logs")
