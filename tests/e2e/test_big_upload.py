"""A big upload streams: the control plane's memory stays flat while 128 MB go through."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.control_plane import Api, ControlPlane

SIZE = 128 * 1024 * 1024  # big next to the memory budget, small for a CI disk
CHUNK = b"kubeserve" * 7282 + b"0123456789"  # 65,548 bytes, not a multiple of anything useful
pytestmark = pytest.mark.slow


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Memory use does not depend on the database: SQLite only."""
    import shutil

    shutil.copy(sqlite_template, tmp_path / "kubeserve.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'kubeserve.db'}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class RssSampler(threading.Thread):
    """The highest resident size of a process while the test does something (every 10 ms)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples, self.done = pid, 0.0, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak, self.samples = max(self.peak, rss_mb(self.pid)), self.samples + 1


def multipart(digest: hashlib._Hash) -> tuple[int, Iterator[bytes]]:
    head = (
        b'--XyZ\r\nContent-Disposition: form-data; name="model_file"; filename="big.joblib"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    tail = b"\r\n--XyZ--\r\n"

    def body() -> Iterator[bytes]:
        yield head
        sent = 0
        while sent < SIZE:
            chunk = CHUNK[: SIZE - sent]
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        yield tail

    return len(head) + SIZE + len(tail), body()


def test_128_mb_upload_keeps_memory_flat(control_plane: ControlPlane) -> None:
    assert control_plane.proc is not None
    owner = Api.register(control_plane.url, "big@example.com")
    model = owner.call("POST", "/models", 201, json={"name": "big"})
    version = owner.call("POST", f"/models/{model['id']}/versions", 201, json={"version_tag": "v1"})
    before = rss_mb(control_plane.proc.pid)
    digest = hashlib.sha256()
    length, body = multipart(digest)
    sampler = RssSampler(control_plane.proc.pid)
    sampler.start()
    r = owner.http.post(
        f"/versions/{version['id']}/upload",
        content=body,
        timeout=300,
        headers={"content-type": "multipart/form-data; boundary=XyZ", "content-length": str(length)},
    )
    sampler.done.set()
    sampler.join()
    assert r.status_code == 200, r.text
    assert r.json()["size_bytes"] == SIZE and r.json()["sha256"] == digest.hexdigest()
    assert sampler.samples > 10, "the upload was too quick to sample"
    growth = sampler.peak - before
    print(
        f"\n128 MB upload: control-plane RSS {before:.0f} MB before, peak {sampler.peak:.0f} MB "
        f"during ({sampler.samples} samples)"
    )
    assert growth < 40, f"peak RSS grew by {growth:.0f} MB during a {SIZE >> 20} MB upload"
    stored = control_plane.data_dir / "artifacts" / r.json()["s3_path"]
    assert stored.stat().st_size == SIZE
