"""`push --code`: the user's own Python code as the one file an upload takes (code_file)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from kubeserve.cli.errors import CliError

AS_IS = (".py", ".zip", ".tar.gz", ".tgz")


def bundle(paths: list[Path], workdir: Path) -> Path:
    """One .py file or archive as it is; several files or package directories as one zip
    (directories keep their name: `--code mypkg` ships `import mypkg`)."""
    if len(paths) == 1 and paths[0].is_file() and paths[0].name.lower().endswith(AS_IS):
        return paths[0]
    dest = workdir / "code.zip"
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            if path.is_dir():
                for file in sorted(path.rglob("*")):
                    if file.is_file() and "__pycache__" not in file.parts:
                        archive.write(file, file.relative_to(path.parent).as_posix())
            elif path.suffix == ".py":
                archive.write(path, path.name)
            else:
                raise CliError(f"--code {path}: give .py files, package directories, or one .zip/.tar.gz")
    return dest
