"""Where a replica's files and socket are, seen from the host and from inside its sandbox.

Sandboxed, a replica sees `/box` (its own writable directory: scratch) and its
version's files read-only: bound at `/model` and `/packages` when its sandbox starts for it
(cold), or copied into `/box/model` when a warm interpreter, whose sandbox started before
anyone knew which model it would serve, takes it over. Unsandboxed (a single-user install),
it reads the host paths and listens on a loopback port, as before.

A sandboxed replica's Unix socket is bound by the control plane *beside* the box (never in
it) and handed over as a listening file descriptor: the control plane connects only to paths
no tenant code can write, so a symlink planted in /box can never point its gateway, probes
or metrics scrapes at another socket on the host.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubeserve.runtime import sandbox
from kubeserve.runtime.local.probes import free_port

WARM_COPY_LIMIT = 64 * 1024 * 1024  # bigger artifacts are bound read-only in a cold sandbox


@dataclass(frozen=True)
class ReplicaFiles:
    """Host paths of what a replica serves: its version's artifact, requirements, code, packages."""

    artifact: Path
    requirements: Path | None
    code: Path | None
    packages: Path

    def read_only(self) -> dict[Path, Path]:
        """Inside path -> host path, for a sandbox started for these files."""
        binds = {sandbox.MODEL_DIR / self.artifact.name: self.artifact}
        if self.requirements is not None:
            binds[sandbox.MODEL_DIR / "requirements.txt"] = self.requirements
        if self.code is not None:
            binds[sandbox.MODEL_DIR / "code.zip"] = self.code
        if self.packages.is_dir():
            binds[sandbox.PACKAGES_DIR] = self.packages
        return binds

    def warm_ready(self, copied: bool) -> bool:
        """Whether a warm interpreter can serve them: nothing installed that would shadow
        what it already imported, and (`copied` into its sandbox) an artifact small enough."""
        installed = self.packages.is_dir() and any(p.name != ".install.lock" for p in self.packages.iterdir())
        return not installed and (not copied or self.artifact.stat().st_size <= WARM_COPY_LIMIT)


@dataclass
class Serving:
    """What the model server says about itself, the token the gateway must send, and how
    long a prediction may run before /ready reports the replica stuck."""

    name: str
    version: str
    sha256: str | None
    token: str
    stuck_after: float


def _server(serving: Serving) -> dict[str, Any]:
    return {
        "name": serving.name,
        "version": serving.version,
        "sha256": serving.sha256,
        "gateway_token": serving.token,
        "stuck_after_seconds": serving.stuck_after,
    }


async def sandboxed_config(
    box_dir: Path, files: ReplicaFiles, serving: Serving, bound: bool
) -> tuple[dict[str, Any], str]:
    """The model-server config inside the box and the host's address of its socket.

    `bound`: the files are bind-mounted (cold sandbox); otherwise they are copied in."""
    if bound:
        inside = sandbox.MODEL_DIR
        packages = sandbox.PACKAGES_DIR
    else:
        inside, packages = sandbox.BOX_DIR / "model", sandbox.BOX_DIR / "packages"
        await asyncio.to_thread(_copy_in, box_dir, files)
    server = _server(serving) | {
        "artifact": str(inside / files.artifact.name),
        "requirements": str(inside / "requirements.txt") if files.requirements else None,
        "code": str(inside / "code.zip") if files.code else None,
        "packages_dir": str(packages),
        "install": False,  # the build installed them; there is no network in here anyway
        "work_dir": str(sandbox.BOX_DIR / "work"),
    }
    return {"server": _clean(server)}, f"unix:{socket_path(box_dir)}"


def socket_path(box_dir: Path) -> Path:
    """Where a box's replica listens, on the host: beside the box, out of its reach."""
    return box_dir.with_name(f"{box_dir.name}.sock")


def listen(path: Path) -> socket.socket:
    """The replica's listening socket, bound by the control plane (handed over as an fd)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        listener.listen(2048)
    except OSError:
        listener.close()
        raise
    return listener


def _copy_in(box_dir: Path, files: ReplicaFiles) -> None:
    model = box_dir / "model"
    model.mkdir(exist_ok=True)
    shutil.copyfile(files.artifact, model / files.artifact.name)
    if files.requirements is not None:
        shutil.copyfile(files.requirements, model / "requirements.txt")
    if files.code is not None:
        shutil.copyfile(files.code, model / "code.zip")
    (box_dir / "packages").mkdir(exist_ok=True)


def plain_config(
    replica_dir: Path, files: ReplicaFiles, serving: Serving, pip_index_url: str | None
) -> tuple[dict[str, Any], str]:
    """Unsandboxed: host paths and a loopback port."""
    port, work = free_port(), replica_dir / "work"
    work.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = _server(serving) | {
        "artifact": str(files.artifact),
        "requirements": str(files.requirements) if files.requirements else None,
        "code": str(files.code) if files.code else None,
        "packages_dir": str(files.packages),
        "pip_index_url": pip_index_url,
        "host": "127.0.0.1",
        "port": port,
        "work_dir": str(work),
    }
    return {"server": _clean(server)}, f"http://127.0.0.1:{port}"


def _clean(server: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in server.items() if v is not None}
