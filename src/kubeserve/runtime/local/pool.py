"""Starting replica processes: from a pool of warm interpreters, or cold when none is free.

Every interpreter is sandboxed at birth (scrubbed environment, its own session; it applies
its memory limit and death-with-parent itself, first thing), so handing one over changes
nothing about its privileges.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

from kubeserve.config import Settings
from kubeserve.runtime import process
from kubeserve.runtime.local.warm_child import MODULE

log = logging.getLogger(__name__)
Process = asyncio.subprocess.Process
# BLAS thread pools reserve address space per thread and fight over the CPUs replicas share.
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Launcher:
    """Hands out model-server processes; keeps `warm_pool_size` pre-imported ones ready."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = settings.warm_pool_size
        self.home = (settings.data_dir / "replicas" / "_pool").resolve()
        self._idle: list[Process] = []
        self._warm: set[int] = set()  # pids that finished importing
        self._children: set[Process] = set()  # everything started, for close()
        self._tasks: set[asyncio.Task[None]] = set()
        self._importing = False  # one interpreter of the pool is still importing
        self._spawning: asyncio.Future[Process] | None = None
        self._failures = 0
        self._closed = False

    def fill(self) -> None:
        """Top the pool up in the background, one interpreter at a time.

        Importing scikit-learn saturates a CPU for seconds: importing several at once would
        starve the replicas already serving on a small machine.
        """
        if self._closed or self._failures >= 3:  # cannot even import the stack: stop trying
            return
        self._idle = [p for p in self._idle if p.returncode is None]
        if not self._importing and len(self._idle) < self.size:
            self._importing = True
            self._background(self._add_warm())

    async def wait_warm(self, timeout: float) -> bool:
        """Until every pool slot holds an interpreter done importing (for benchmarks)."""
        self.fill()
        deadline = time.monotonic() + timeout
        while len(self._warm) < self.size and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(self._warm) >= self.size

    async def launch(self, config: dict[str, Any]) -> Process:
        """A process now running the replica `config` describes (warm when possible)."""
        proc = self._take()
        if proc is None and self._spawning is not None and not self._spawning.done():
            # A pool interpreter is being spawned right now (typically just after start-up):
            # taking it beats starting a second one that competes with it for the CPU.
            await asyncio.wait([self._spawning])
            proc = self._take()
        if proc is None:
            proc = await self._spawn(warm=False)
        # No refill here: a fresh interpreter importing scikit-learn would steal the CPU this
        # replica needs to start (and skew its warm-up timing); the replica refills once ready.
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(config).encode())
            await proc.stdin.drain()
            proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died meanwhile: the supervisor sees the exit and the log says why
        return proc

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(process.stop(p, grace=2) for p in list(self._children)))
        self._idle.clear()

    def _take(self) -> Process | None:
        alive = [p for p in self._idle if p.returncode is None]
        if not alive:
            self._idle.clear()
            return None
        proc = next((p for p in alive if p.pid in self._warm), alive[0])
        self._idle = [p for p in alive if p is not proc]
        self._warm.discard(proc.pid)
        return proc

    async def _add_warm(self) -> None:
        try:
            self._spawning = asyncio.ensure_future(self._spawn(warm=True))
            proc = await self._spawning
            self._idle.append(proc)
            assert proc.stdout is not None
            line = await proc.stdout.readline()  # EOF too once a replica took it over
        except OSError:
            proc, line = None, b""
        finally:
            self._importing = False
        if proc is not None and proc in self._idle and line == b"warm\n":
            self._warm.add(proc.pid)
            self._failures = 0
        elif proc is None or proc in self._idle:
            self._failures += 1
            log.warning("a warm interpreter failed to start; see %s", self.home / "pool.log")
        self.fill()

    async def _spawn(self, warm: bool) -> Process:
        self.home.mkdir(parents=True, exist_ok=True)
        extra = dict(THREADS)
        if self.settings.pip_index_url:
            extra["PIP_INDEX_URL"] = self.settings.pip_index_url
        with (self.home / "pool.log").open("ab") as errors:
            proc = await asyncio.create_subprocess_exec(
                process.python(),
                "-m",
                MODULE,
                *([] if warm else ["--cold"]),
                "--memory-mb",
                str(self.settings.replica_memory_mb),
                "--parent",
                str(os.getpid()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE if warm else asyncio.subprocess.DEVNULL,
                stderr=errors,
                cwd=self.home,
                env=process.scrubbed_env(str(self.home), extra),
                start_new_session=True,
            )
        self._children.add(proc)
        self._background(self._forget_on_exit(proc))
        return proc

    async def _forget_on_exit(self, proc: Process) -> None:
        await proc.wait()
        self._children.discard(proc)
        self._warm.discard(proc.pid)

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
