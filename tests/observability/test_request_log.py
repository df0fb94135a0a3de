"""Request logs: entries in order with a growing cursor, on disk as JSON lines, rotated."""

from __future__ import annotations

from pathlib import Path

import orjson

from kubeserve.observability.requestlog import RequestLog


def record(log: RequestLog, n: int, deployment: str = "iris-abc") -> None:
    for i in range(n):
        log.record(deployment, 1, "r1-1", "POST", "/predict", 200 if i % 2 else 422, 0.0012, i, "api_key")


async def test_entries_cursor_and_disk(tmp_path: Path) -> None:
    log = RequestLog(tmp_path, max_bytes=1_000_000)
    record(log, 3)
    await log.flush()
    entries, cursor = log.read("iris-abc", tail=10)
    assert [e["status"] for e in entries] == [422, 200, 422] and cursor == entries[-1]["cursor"]
    assert entries[0]["latency_ms"] == 1.2 and entries[0]["caller"] == "api_key" and "data" not in entries[0]
    record(log, 2)
    await log.flush()
    newer, cursor2 = log.read("iris-abc", tail=10, since=cursor)
    assert [e["rows"] for e in newer] == [0, 1] and cursor2 > cursor
    assert log.read("iris-abc", tail=10, since=cursor2) == ([], cursor2)
    lines = (tmp_path / "iris-abc.log").read_bytes().splitlines()
    assert [orjson.loads(line)["cursor"] for line in lines] == [e["cursor"] for e in entries + newer]
    # A new process (a restarted control plane) reads the file back.
    again = RequestLog(tmp_path, max_bytes=1_000_000)
    assert [e["cursor"] for e in again.read("iris-abc", tail=10)[0]] == [e["cursor"] for e in entries + newer]


async def test_rotation_bounds_the_disk(tmp_path: Path) -> None:
    log = RequestLog(tmp_path, max_bytes=4000)
    for _ in range(20):
        record(log, 10)
        await log.flush()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["iris-abc.log", "iris-abc.log.1"]
    assert all(p.stat().st_size <= 4000 for p in tmp_path.iterdir())
    log.drop("iris-abc")
    assert list(tmp_path.iterdir()) == []


async def test_disabled_records_nothing(tmp_path: Path) -> None:
    log = RequestLog(tmp_path, max_bytes=4000, enabled=False)
    record(log, 5)
    await log.flush()
    assert log.read("iris-abc", tail=10)[0] == []
