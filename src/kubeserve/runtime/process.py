"""Child processes that run user code: scrubbed environment, resource limits, clean stop.

Used by the build step and by local model-server replicas; a user's pickle only ever
runs in such a child, never in the control plane.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable, Mapping

# Only what a Python child needs to run; nothing of the control plane's (no KUBESERVE_*, no
# database URL, no cloud credentials) crosses over unless passed explicitly.
_KEEP = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TRUSTED_HOST",
    "PIP_CERT",
    "UV_INDEX_URL",
    "UV_CACHE_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


def scrubbed_env(home: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for a child running user code."""
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env.update({"HOME": home, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra or {})
    return env


def limits(memory_mb: int, cpu_seconds: int | None = None) -> Callable[[], None]:
    """A preexec function that caps the child's address space (and optionally CPU time)."""

    def apply() -> None:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if cpu_seconds is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def python() -> str:
    """The interpreter children run with: the control plane's own (same installed stack)."""
    return sys.executable


async def stop(proc: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    """SIGTERM the child's process group, wait `grace` seconds, then SIGKILL."""
    if proc.returncode is not None:
        return
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        _signal_group(proc.pid, signal.SIGKILL)
        await proc.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, sig: signal.Signals = signal.SIGKILL) -> None:
    """Have the kernel send us `sig` when `parent` dies; exit now if it already has (Linux).

    Replicas call it first thing, so a SIGKILLed control plane leaves no orphans. It runs in
    the child itself rather than as a preexec_fn: preexec_fn is unsafe in a threaded parent
    (fork copies locks held by other threads) and forces fork instead of a faster vfork.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)
