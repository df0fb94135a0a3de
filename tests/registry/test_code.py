"""Shipped code is checked and repacked into one zip: traversal, links and bombs refused."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from kubeserve.errors import PayloadTooLarge, Unprocessable
from kubeserve.registry.code import pack


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def make_tar(path: Path, files: dict[str, bytes], link: tuple[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            t.addfile(info)
    return path


def test_py_file_becomes_its_module(tmp_path: Path) -> None:
    src = tmp_path / "upload"
    src.write_text("X = 1\n")
    assert pack(src, "my_code.py", tmp_path / "code.zip", 1 << 20) == ["my_code"]
    assert zipfile.ZipFile(tmp_path / "code.zip").namelist() == ["my_code.py"]


def test_archives_keep_packages_and_drop_caches(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": b"",
        "pkg/feats.py": b"Y = 2\n",
        "util.py": b"",
        "pkg/__pycache__/x.pyc": b"0",
    }
    for archive in (make_zip(tmp_path / "c.zip", files), make_tar(tmp_path / "c.tar.gz", files)):
        dest = tmp_path / f"{archive.name}.out.zip"
        assert pack(archive, archive.name, dest, 1 << 20) == ["pkg", "util"]
        assert sorted(zipfile.ZipFile(dest).namelist()) == ["pkg/__init__.py", "pkg/feats.py", "util.py"]


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "a/../../evil.py"])
def test_traversal_is_refused(tmp_path: Path, name: str) -> None:
    for archive in (make_zip(tmp_path / "t.zip", {name: b""}), make_tar(tmp_path / "t.tgz", {name: b""})):
        with pytest.raises(Unprocessable, match="points outside the archive"):
            pack(archive, archive.name, tmp_path / "out.zip", 1 << 20)


def test_links_are_refused(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "l.tar.gz", {"ok.py": b""}, link=("passwd.py", "/etc/passwd"))
    with pytest.raises(Unprocessable, match="is a link or device"):
        pack(archive, archive.name, tmp_path / "out.zip", 1 << 20)


def test_archive_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"big.py": b"#" * (8 << 20)})
    assert bomb.stat().st_size < 64 * 1024
    with pytest.raises(PayloadTooLarge, match="unpacks to more than 1 MB"):
        pack(bomb, "bomb.zip", tmp_path / "out.zip", 1 << 20)


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("my-code.py", b"", "must be a Python name, like my_code.py"),
        ("notes.zip", b"not a zip", "not a valid zip"),
        ("notes.tar.gz", b"not a tar", "not a valid .tar.gz"),
    ],
)
def test_bad_uploads(tmp_path: Path, filename: str, content: bytes, message: str) -> None:
    src = tmp_path / "upload"
    src.write_bytes(content)
    with pytest.raises(Unprocessable, match=message):
        pack(src, filename, tmp_path / "out.zip", 1 << 20)


def test_archive_without_python_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "data.zip", {"README.txt": b"hi"})
    with pytest.raises(Unprocessable, match="holds no Python module"):
        pack(archive, "data.zip", tmp_path / "out.zip", 1 << 20)
