"""Sandboxes for every process that runs user code: bubblewrap namespaces, cgroups, rlimits.

A sandbox (bubblewrap, what Flatpak uses) gets its own user, pid, ipc, uts and network
namespaces: no network at all, no other process visible or signalable, and a filesystem of
read-only binds — the Python runtime, the box's own artifact and packages — a private
/tmp and /dev, and at most one writable directory of its own. Nothing of the data dir,
the database or the signing key is mounted. When its first process exits, the kernel kills
everything else in its pid namespace (a `setsid()` grandchild included); `--die-with-parent`
ties it to the control plane. A pids/memory/cpu cgroup bounds it where cgroups are
writable; rlimits (set by the caller) bound memory everywhere.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kubeserve.config import Settings
from kubeserve.runtime import cgroups

# Where a box's own things appear inside it (fixed: no host layout leaks in).
BOX_DIR = Path("/box")  # the writable directory (replica: socket and scratch)
MODEL_DIR = Path("/model")  # the artifact and requirements.txt, read-only
PACKAGES_DIR = Path("/packages")  # what the build installed for this version, read-only

_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/localtime")


@dataclass(frozen=True)
class Support:
    """Whether sandboxes can run here, and if not, why."""

    available: bool
    reason: str


@dataclass(frozen=True)
class Box:
    """What one sandbox sees: host paths bound read-only at inside paths, one writable dir."""

    name: str  # unique among running boxes (its cgroup's name)
    read_only: dict[Path, Path] = field(default_factory=dict)  # inside path -> host path
    writable: Path | None = None  # host dir, seen as BOX_DIR
    memory_mb: int = 1024
    max_processes: int = 128
    cpus: float | None = 1.0


@functools.lru_cache(maxsize=1)
def support() -> Support:
    """Probe once: Linux, bwrap installed, and a user namespace can actually be created."""
    if not sys.platform.startswith("linux"):
        return Support(False, f"no sandbox on {sys.platform}: bubblewrap needs Linux")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Support(False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    probe = [bwrap, *_namespaces(), "--ro-bind", "/", "/", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(False, f"bubblewrap cannot run: {exc}")
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
        return Support(
            False, f"bubblewrap cannot create namespaces here ({why}); are user namespaces enabled?"
        )
    return Support(True, "bubblewrap: user, pid, ipc, uts and network namespaces; " + cgroups.describe())


def _namespaces() -> list[str]:
    return [
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
    ]


@functools.lru_cache(maxsize=1)
def runtime_paths() -> tuple[str, ...]:
    """The Python runtime: interpreter prefixes and every sys.path directory, outermost only."""
    found = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    found.update(Path(p) for p in sys.path if p and Path(p).is_dir())
    resolved = sorted({p.resolve() for p in found} | found, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in resolved:
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return tuple(str(p) for p in kept)


def command(argv: list[str], box: Box, hidden: list[Path], cwd: Path | None = None) -> list[str]:
    """`argv` run inside `box`, as an argv for exec. `hidden`: host dirs that must never show
    (the data dir), masked with an empty tmpfs should a runtime path contain them."""
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, *_namespaces(), "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534"]
    args += ["--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in _SYSTEM:
        args += ["--ro-bind-try", path, path]
    runtime = runtime_paths()
    for path in runtime:
        args += ["--ro-bind", path, path]
    for secret in hidden:
        secret = secret.resolve()
        if any(secret.is_relative_to(p) for p in runtime):
            args += ["--tmpfs", str(secret)]
    for inside, host in box.read_only.items():
        args += ["--ro-bind", str(host), str(inside)]
    if box.writable is not None:
        args += ["--bind", str(box.writable), str(BOX_DIR)]
    args += ["--setenv", "HOME", "/tmp", "--chdir", str(cwd or (BOX_DIR if box.writable else "/tmp"))]
    return cgroups.enter(box.name, box.memory_mb, box.max_processes, box.cpus) + args + ["--", *argv]


def release(box: Box) -> None:
    """After the box's processes are gone: remove its cgroup."""
    cgroups.remove(box.name)


def enabled(settings: Settings) -> bool:
    """Whether local user code runs sandboxed: unless switched off, wherever a sandbox can run."""
    return settings.sandbox == "auto" and support().available


def contained(settings: Settings) -> bool:
    """Whether user code runs apart from the control plane and from other users' code: in pods
    of each user's own namespace (Kubernetes: this process runs none), or in sandboxes here."""
    return settings.runtime == "kubernetes" or enabled(settings)


def multi_user(settings: Settings) -> bool:
    """Whether more than one account may exist: only with containment, or by explicit risk."""
    return contained(settings) or settings.allow_unsandboxed_multi_user


def describe(settings: Settings) -> str:
    """One line for the start-up log and /me."""
    if settings.runtime == "kubernetes":
        return (
            "kubernetes: builds and replicas run as pods in each user's own namespace (Pod Security "
            "restricted, quota, network policies); the control plane runs no user code"
        )
    if enabled(settings):
        return support().reason
    why = "switched off (KUBESERVE_SANDBOX=off)" if settings.sandbox == "off" else support().reason
    mode = (
        "several users accepted by KUBESERVE_ALLOW_UNSANDBOXED_MULTI_USER"
        if settings.allow_unsandboxed_multi_user
        else "single-user install: a second account is refused"
    )
    return f"no sandbox: {why}; user code runs with the control plane's rights; {mode}"
