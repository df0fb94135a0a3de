"""One cgroup per sandbox (processes, memory, CPU), nested under the control plane's own.

cgroup v1 (one hierarchy per controller) and v2 (one unified tree) are both handled; where
neither is writable (an unprivileged laptop) sandboxes run without one, and `describe()`
says so. A sandbox joins its cgroup before bubblewrap starts: a tiny shell writes its own
pid into each `cgroup.procs`, then execs bwrap, so nothing the box forks escapes.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "kubeserve"
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def _own(controller: str) -> str | None:
    """This process's cgroup path in `controller`'s v1 hierarchy ('' for v2's unified tree)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if (controller == "" and names == "") or controller in names.split(","):
                return path
    return None


@functools.lru_cache(maxsize=1)
def _layout() -> dict[str, Path]:
    """Writable parent directories: {'pids': ..., 'memory': ..., 'cpu': ...} (v1) or {'v2': ...}."""
    found: dict[str, Path] = {}
    if (ROOT / "cgroup.controllers").exists():  # v2 only
        own = _own("")
        if own is not None and _v2_delegate(ROOT / own.lstrip("/")):
            found["v2"] = ROOT / own.lstrip("/") / PARENT
        return found
    for controller in ("pids", "memory", "cpu"):
        own = _own(controller)
        base = ROOT / controller / (own or "/").lstrip("/")
        if own is None or not base.is_dir():
            continue
        parent = base / PARENT
        with contextlib.suppress(OSError):
            parent.mkdir(exist_ok=True)
            probe = parent / f"probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
            found[controller] = parent
    return found


def _v2_delegate(own: Path) -> bool:
    """v2 allows controllers only for leaf-less parents: make `kubeserve/` hand them down."""
    parent = own / PARENT
    try:
        parent.mkdir(exist_ok=True)
        (parent / "cgroup.subtree_control").write_text("+pids +memory +cpu")
    except OSError:
        return False
    return True


def describe() -> str:
    layout = _layout()
    if not layout:
        return "no writable cgroup: process count and CPU unbounded, memory bounded by rlimits"
    if "v2" in layout:
        return "cgroup v2: processes, memory and CPU bounded"
    return "cgroup v1: " + ", ".join(sorted(layout)) + " bounded; memory also by rlimits"


def enter(name: str, memory_mb: int, max_processes: int, cpus: float | None) -> list[str]:
    """Create the cgroup `name` with its limits; the argv prefix that runs a command in it."""
    procs: list[str] = []
    for controller, parent in _layout().items():
        group = parent / name
        try:
            group.mkdir(exist_ok=True)
            for file, value in _limits(controller, memory_mb, max_processes, cpus):
                (group / file).write_text(value)
        except OSError:
            continue  # e.g. memory.max refused: the box still gets the other controllers
        procs.append(str(group / "cgroup.procs"))
    if not procs:
        return []
    return ["/bin/sh", "-c", _JOIN, "sh", *procs, "--"]


def _limits(controller: str, memory_mb: int, pids: int, cpus: float | None) -> list[tuple[str, str]]:
    memory, period = str(memory_mb * 1024 * 1024), 100_000
    quota = str(int(cpus * period)) if cpus else None
    if controller == "v2":
        return [("pids.max", str(pids)), ("memory.max", memory), ("memory.swap.max", "0")] + (
            [("cpu.max", f"{quota} {period}")] if quota else []
        )
    if controller == "pids":
        return [("pids.max", str(pids))]
    if controller == "memory":
        return [("memory.limit_in_bytes", memory)]
    return [("cpu.cfs_period_us", str(period))] + ([("cpu.cfs_quota_us", quota)] if quota else [])


def remove(name: str) -> None:
    """Remove the cgroup once its processes are gone (a busy one is left for the next try)."""
    for parent in _layout().values():
        with contextlib.suppress(OSError):
            (parent / name).rmdir()
