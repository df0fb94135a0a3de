"""Shipped code: the user's own Python modules, uploaded beside the model as `code_file`.

A `.py` file, or a `.zip`/`.tar.gz` archive of modules and packages, is checked and repacked
into one zip (stored as `code.zip` next to the model) that build and replicas put on
`sys.path` as it is (Python imports from zips): nothing is ever extracted. Refused: absolute
paths, `..`, links and devices, more than MAX_FILES entries (directories included), and more
than `limit` bytes unpacked (counted while reading, so an archive bomb stops at the limit).
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from kubeserve.errors import PayloadTooLarge, Unprocessable
from kubeserve.inference.shipped import top_level_modules

EXTENSIONS = (".py", ".zip", ".tar.gz", ".tgz")
CODE_FILE = "code.zip"
MAX_FILES = 2000
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def pack(source: Path, filename: str, dest: Path, limit: int) -> list[str]:
    """Repack the upload `source` (named `filename` by the client) into the zip `dest`; return
    the top-level module names it provides."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    lower = name.lower()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        budget = _Budget(limit)
        if lower.endswith(".py"):
            stem = name[:-3]
            if not _MODULE.match(stem):
                raise Unprocessable(
                    f"code_file {name!r}: a module file name must be a Python name, like my_code.py"
                )
            budget.entry()
            with source.open("rb") as fh:
                out.writestr(name, budget.read(fh, name))
        elif lower.endswith(".zip"):
            _from_zip(source, out, budget)
        elif lower.endswith((".tar.gz", ".tgz")):
            _from_tar(source, out, budget)
        else:
            raise Unprocessable(f"code_file {name!r} is not one of {', '.join(EXTENSIONS)}")
        modules = top_level_modules(out.namelist())
    if not modules:
        raise Unprocessable("code_file holds no Python module (.py file or package directory)")
    return modules


class _Budget:
    """Unpacked bytes and entries left; refusing as soon as either runs out."""

    def __init__(self, limit: int) -> None:
        self.limit, self.left, self.files = limit, limit, 0

    def entry(self) -> None:
        """Count one archive entry, whatever it is (directories and caches too: each costs
        the control plane time and memory to walk)."""
        self.files += 1
        if self.files > MAX_FILES:
            raise Unprocessable(f"code_file holds more than {MAX_FILES} entries")

    def read(self, fh: IO[bytes], name: str) -> bytes:
        data = fh.read(self.left + 1)
        self.left -= len(data)
        if self.left < 0:
            raise PayloadTooLarge(f"code_file unpacks to more than {self.limit // (1024 * 1024)} MB")
        return data


def _safe_name(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
        raise Unprocessable(f"code_file entry {name!r} points outside the archive")
    return path.as_posix()


def _skipped(name: str) -> bool:
    return "__pycache__" in name.split("/") or name.endswith(".pyc")


def _from_zip(source: Path, out: zipfile.ZipFile, budget: _Budget) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise Unprocessable(f"code_file is not a valid zip: {exc}") from None
    with archive:
        for info in archive.infolist():
            budget.entry()
            name = _safe_name(info.filename)
            if info.is_dir() or _skipped(name):
                continue
            if (info.external_attr >> 16) & 0o170000 not in (0, 0o100000):
                raise Unprocessable(f"code_file entry {name!r} is a link or device, not a file")
            try:
                with archive.open(info) as fh:
                    out.writestr(name, budget.read(fh, name))
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise Unprocessable(f"code_file entry {name!r} is corrupt: {exc}") from None


def _members(archive: tarfile.TarFile, budget: _Budget) -> Iterator[tarfile.TarInfo]:
    for member in archive:
        budget.entry()
        name = _safe_name(member.name)
        if member.isdir() or _skipped(name):
            continue
        if not member.isfile():
            raise Unprocessable(f"code_file entry {name!r} is a link or device, not a file")
        yield member


def _from_tar(source: Path, out: zipfile.ZipFile, budget: _Budget) -> None:
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in _members(archive, budget):
                fh = archive.extractfile(member)
                assert fh is not None
                out.writestr(_safe_name(member.name), budget.read(fh, member.name))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Unprocessable(f"code_file is not a valid .tar.gz: {exc}") from None
