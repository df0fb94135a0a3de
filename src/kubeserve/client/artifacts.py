"""A version's artifact: streaming the model file up (with progress) and back down."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

from kubeserve.client.transport import Session
from kubeserve.client.types import Progress, Version


class _CountingReader:
    """A binary file that reports how many bytes httpx has read from it (streamed, not loaded)."""

    def __init__(self, file: IO[bytes], on_read: Callable[[], None]) -> None:
        self.file, self.on_read, self.count = file, on_read, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.count += len(chunk)
        self.on_read()
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.file.seek(offset, whence)
        self.count = position
        return position

    def tell(self) -> int:
        return self.file.tell()

    def fileno(self) -> int:
        return self.file.fileno()


class ArtifactsAPI(Session):
    """`Client` methods for `/versions/{id}/upload` and `/versions/{id}/artifact`."""

    def upload(
        self,
        version_id: int,
        model_file: str | Path,
        requirements_file: str | Path | None = None,
        progress: Progress | None = None,
        code_file: str | Path | None = None,
    ) -> Version:
        """Stream the model file (and requirements.txt, and your own code: a .py file or a
        .zip/.tar.gz of modules) to the version; it becomes `Building`.

        `progress(sent, total)` is called as bytes leave, for a progress bar.
        """
        paths = {"model_file": Path(model_file)}
        if requirements_file is not None:
            paths["requirements_file"] = Path(requirements_file)
        if code_file is not None:
            paths["code_file"] = Path(code_file)
        total = sum(p.stat().st_size for p in paths.values())
        readers: list[_CountingReader] = []

        def report() -> None:
            if progress is not None:
                progress(min(sum(r.count for r in readers), total), total)

        with contextlib.ExitStack() as stack:
            files = {}
            for field, path in paths.items():
                reader = _CountingReader(stack.enter_context(path.open("rb")), report)
                files[field] = (path.name, reader)
                readers.append(reader)
            return self._call(
                "POST",
                f"/versions/{version_id}/upload",
                files=files,
                timeout=httpx.Timeout(300.0, connect=5.0),
            )

    def download_artifact(self, version_id: int, destination: str | Path) -> Path:
        """Save the version's model file to `destination`."""
        destination = Path(destination)
        self._download(f"/versions/{version_id}/artifact", destination)
        return destination
