"""Child processes that run user code: scrubbed environment, resource limits, clean stop.

Used by the build step and by local model-server replicas; a user's pickle only ever
runs in such a child, never in the control plane.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sys
from collections.abc import Callable, Mapping

# Only what a Python child needs to run; nothing of the control plane's (no KUBESERVE_*, no
# database URL, no cloud credentials) crosses over unless passed explicitly.
_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
         "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
         "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_TRUSTED_HOST", "PIP_CERT",
         "UV_INDEX_URL", "UV_CACHE_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


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
