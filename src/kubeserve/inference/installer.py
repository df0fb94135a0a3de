"""Install requirements into a model's private directory: wheels only, never a setup.py.

pip is preferred; a virtualenv made by uv has no pip, so `uv pip` is the fallback. pip reads
its PIP_* variables itself; for uv they are translated to flags.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packaging.requirements import Requirement

log = logging.getLogger(__name__)


class InstallError(RuntimeError):
    """pip could not install the requirements; the message says which and why."""


def _pip_command(target: Path, index_url: str | None) -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-input",
            "--upgrade",
            "--disable-pip-version-check",
            "--no-warn-script-location",
        ]
        return (
            cmd
            + ["--target", str(target), "--only-binary=:all:"]
            + (["--index-url", index_url] if index_url else [])
        )
    uv = shutil.which("uv")
    if uv is None:
        raise InstallError("cannot install requirements: neither pip nor uv is available")
    cmd = [
        uv,
        "pip",
        "install",
        "--python",
        sys.executable,
        "--target",
        str(target),
        "--only-binary",
        ":all:",
    ]
    index_url = index_url or os.environ.get("PIP_INDEX_URL")
    cmd += ["--index-url", index_url] if index_url else []
    for var, flag in (("PIP_EXTRA_INDEX_URL", "--extra-index-url"), ("PIP_FIND_LINKS", "--find-links")):
        for value in os.environ.get(var, "").split():
            cmd += [flag, value]
    if os.environ.get("PIP_NO_INDEX", "").lower() in ("1", "true", "yes", "on"):
        cmd.append("--no-index")
    return cmd


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialize installs into one directory (several replicas may share it)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".install.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def install(reqs: list[Requirement], target: Path, index_url: str | None = None) -> None:
    """pip-install `reqs` into `target`; raises InstallError with pip's own reason."""
    if not reqs:
        return
    log.info("installing %s into %s", ", ".join(map(str, reqs)), target)
    # A file, not argv: no requirement can be mistaken for an option, and no length limit.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="requirements-") as listing:
        listing.write("".join(f"{r}\n" for r in reqs))
        listing.flush()
        cmd = _pip_command(target, index_url) + ["-r", listing.name]
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    # pip's chatter goes to stderr: stdout belongs to whoever runs us (inspect's JSON line)
    sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
    if proc.returncode != 0:
        raise InstallError(
            f"could not install {', '.join(map(str, reqs))}: {summarize(proc.stderr + proc.stdout)}"
        )


def summarize(output: str, limit: int = 600) -> str:
    """pip's and uv's own error lines, which say why (a conflict, a missing version, a
    package that "has no usable wheels"), without their hints and progress chatter."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [
        ln
        for ln in lines
        if ln.startswith(("ERROR", "error", "×", "╰─▶", "Because", "cause:"))
        or "because" in ln.lower()
        or "conflict" in ln.lower()
        or "no matching distribution" in ln.lower()
    ]
    text = " ".join(errors or lines[-3:])
    return text[:limit] or "pip failed without saying why"


def ensure(
    text: str,
    packages_dir: Path,
    recorded_sklearn: str | None = None,
    index_url: str | None = None,
    pickle_modules: list[str] | None = None,
) -> list[str]:
    """Install what requirements.txt adds (and the recorded scikit-learn, and what the pickle's
    own imports need: pandas), then activate the dir.

    Returns notes worth telling the user. Must run before numpy/sklearn are first imported.
    """
    from kubeserve.inference import requirements as rq

    reqs = rq.parse_requirements(text)
    implied = rq.implied_by_pickle(pickle_modules or [], reqs)
    reqs += implied
    reqs, note = rq.pin_recorded_sklearn(
        reqs, recorded_sklearn, rq.installed_version(rq.SKLEARN, packages_dir)
    )
    with locked(packages_dir):
        missing = rq.unsatisfied(reqs, packages_dir)
        install(missing, packages_dir, index_url)
    activate(packages_dir)
    notes = [note] if note else []
    notes += [f"the pickle holds {r.name} objects: added {r.name} to the requirements" for r in implied]
    if missing:
        notes.append("installed " + ", ".join(map(str, missing)))
    return notes


def activate(packages_dir: Path) -> None:
    """Put the private directory first on sys.path so its packages win."""
    entry = str(packages_dir)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    importlib.invalidate_caches()
