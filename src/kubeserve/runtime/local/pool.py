"""Starting replica processes: from a pool of warm interpreters, or cold when none fits.

Every interpreter is sandboxed at birth (runtime/sandbox.py: its own namespaces, a box
directory, no network; or, where no sandbox can run, a scrubbed environment and its own
session) and caps its memory itself, first thing, so handing one over changes nothing about
its privileges. A warm interpreter's sandbox cannot bind its model's files (nobody knew them
when it started): they are copied into its box, so only versions that install nothing of
their own and have a small artifact are served warm; the others start cold, with their
files bound read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubeserve.config import Settings
from kubeserve.runtime import process, sandbox
from kubeserve.runtime.local.boxes import (
    ReplicaFiles,
    Serving,
    listen,
    plain_config,
    sandboxed_config,
    socket_path,
)
from kubeserve.runtime.local.probes import append_line
from kubeserve.runtime.local.warm_child import MODULE

log = logging.getLogger(__name__)
Process = asyncio.subprocess.Process
# BLAS thread pools reserve address space per thread and fight over the CPUs replicas share.
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(eq=False)
class Slot:
    """One started interpreter; sandboxed, with its box (host dir seen as /box inside)."""

    proc: Process
    channel: socket.socket  # our end of its stdin
    box: sandbox.Box | None = None
    files: ReplicaFiles | None = None  # bound read-only when its sandbox started (cold)
    warm: bool = False

    @property
    def dir(self) -> Path | None:
        return self.box.writable if self.box else None


@dataclass
class Launched:
    """A replica's process and the address it will answer on."""

    proc: Process
    address: str  # unix:/path (sandboxed) or http://127.0.0.1:port
    slot: Slot = field(repr=False)


class Launcher:
    """Hands out model-server processes; keeps `warm_pool_size` pre-imported ones ready."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = settings.warm_pool_size
        self.sandboxed = sandbox.enabled(settings)
        self.home = (settings.data_dir / "replicas" / "_pool").resolve()
        # Boxes live under a short path: a Unix socket's path must fit in 108 bytes.
        self.root: Path | None = None
        self._numbers = itertools.count(1)
        self._idle: list[Slot] = []
        self._warm: set[int] = set()  # pids that finished importing
        self._children: set[Slot] = set()  # everything started, for close()
        self._tasks: set[asyncio.Task[None]] = set()
        self._importing = False  # one interpreter of the pool is still importing
        self._spawning: asyncio.Future[Slot] | None = None
        self._failures = 0
        self._closed = False

    def fill(self) -> None:
        """Top the pool up in the background, one interpreter at a time.

        Importing scikit-learn saturates a CPU for seconds: importing several at once would
        starve the replicas already serving on a small machine.
        """
        if self._closed or self._failures >= 3:  # cannot even import the stack: stop trying
            return
        self._idle = [s for s in self._idle if s.proc.returncode is None]
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

    async def launch(
        self, files: ReplicaFiles, serving: Serving, log_path: Path, replica_dir: Path
    ) -> Launched:
        """A process now running the replica (warm when possible); it logs to `log_path`."""
        fits_warm = files.warm_ready(copied=self.sandboxed)
        if not fits_warm:
            append_line(log_path, "the version brings its own packages or a big artifact: starting cold")
        slot = self._take() if fits_warm else None
        if slot is None and fits_warm and self._spawning is not None and not self._spawning.done():
            # A pool interpreter is being spawned right now (typically just after start-up):
            # taking it beats starting a second one that competes with it for the CPU.
            await asyncio.wait([self._spawning])
            slot = self._take()
        if slot is None:
            slot = await self._spawn(warm=False, files=files if self.sandboxed else None)
        # No refill here: a fresh interpreter importing scikit-learn would steal the CPU this
        # replica needs to start (and skew its warm-up timing); the replica refills once ready.
        listener: socket.socket | None = None
        if slot.dir is not None:
            config, address = await sandboxed_config(slot.dir, files, serving, bound=slot.files is not None)
            listener = listen(socket_path(slot.dir))
        else:
            config, address = plain_config(replica_dir, files, serving, self.settings.pip_index_url)
        self._hand_over(slot, config, log_path, listener)
        return Launched(slot.proc, address, slot)

    def _hand_over(
        self, slot: Slot, config: dict[str, Any], log_path: Path, listener: socket.socket | None
    ) -> None:
        """Send the config, the log file and (sandboxed) the listening socket; keep no copy."""
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fds = [fd] if listener is None else [fd, listener.fileno()]
        try:
            socket.send_fds(slot.channel, [json.dumps(config).encode()], fds)
            slot.channel.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # it died meanwhile: the supervisor sees the exit and the log says why
        finally:
            os.close(fd)
            if listener is not None:
                listener.close()  # the replica's copy alone: refused once it is gone
            slot.channel.close()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(process.stop(s.proc, grace=2) for s in list(self._children)))
        for slot in list(self._children):
            self._release(slot)
        self._idle.clear()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def _take(self) -> Slot | None:
        alive = [s for s in self._idle if s.proc.returncode is None]
        if not alive:
            self._idle.clear()
            return None
        slot = next((s for s in alive if s.proc.pid in self._warm), alive[0])
        self._idle = [s for s in alive if s is not slot]
        self._warm.discard(slot.proc.pid)
        return slot

    async def _add_warm(self) -> None:
        slot: Slot | None = None
        try:
            self._spawning = asyncio.ensure_future(self._spawn(warm=True))
            slot = await self._spawning
            self._idle.append(slot)
            assert slot.proc.stdout is not None
            line = await slot.proc.stdout.readline()  # EOF too once a replica took it over
        except OSError:
            line = b""
        finally:
            self._importing = False
        if slot is not None and slot in self._idle and line == b"warm\n":
            self._warm.add(slot.proc.pid)
            self._failures = 0
        elif slot is None or slot in self._idle:
            self._failures += 1
            log.warning("a warm interpreter failed to start; see %s", self.home / "pool.log")
        self.fill()

    async def _spawn(self, warm: bool, files: ReplicaFiles | None = None) -> Slot:
        self.home.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair()
        argv = [process.python(), "-m", MODULE, *([] if warm else ["--cold"])]
        argv += ["--memory-mb", str(self.settings.replica_memory_mb)]
        box = self._box(files) if self.sandboxed else None
        if box is None:
            argv += ["--parent", str(os.getpid())]
        else:
            argv = sandbox.command(argv, box, hidden=[self.settings.data_dir])
        extra = dict(THREADS)
        if self.settings.pip_index_url:
            extra["PIP_INDEX_URL"] = self.settings.pip_index_url
        try:
            with (self.home / "pool.log").open("ab") as errors:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=theirs.fileno(),
                    stdout=asyncio.subprocess.PIPE if warm else asyncio.subprocess.DEVNULL,
                    stderr=errors,
                    cwd=self.home,
                    env=process.scrubbed_env("/tmp" if box else str(self.home), extra),
                    start_new_session=True,
                )
        except BaseException:
            ours.close()
            if box is not None:
                self._release_box(box)
            raise
        finally:
            theirs.close()
        slot = Slot(proc, ours, box, files, warm)
        self._children.add(slot)
        self._background(self._forget_on_exit(slot))
        return slot

    def _box(self, files: ReplicaFiles | None) -> sandbox.Box:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="kubeserve-boxes-"))
        directory = self.root / str(next(self._numbers))
        (directory / "work").mkdir(parents=True, mode=0o700)
        return sandbox.Box(
            name=f"replica-{os.getpid()}-{directory.name}-{secrets.token_hex(3)}",
            read_only=files.read_only() if files is not None else {},
            writable=directory,
            memory_mb=self.settings.replica_memory_mb,
            max_processes=self.settings.sandbox_max_processes,
            cpus=self.settings.sandbox_cpus,
        )

    async def _forget_on_exit(self, slot: Slot) -> None:
        await slot.proc.wait()
        self._children.discard(slot)
        self._warm.discard(slot.proc.pid)
        self._release(slot)

    def _release(self, slot: Slot) -> None:
        with contextlib.suppress(OSError):
            slot.channel.close()
        if slot.box is not None:
            self._release_box(slot.box)

    @staticmethod
    def _release_box(box: sandbox.Box) -> None:
        sandbox.release(box)
        if box.writable is not None:
            shutil.rmtree(box.writable, ignore_errors=True)
            socket_path(box.writable).unlink(missing_ok=True)

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
