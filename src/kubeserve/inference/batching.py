"""Adaptive micro-batching: concurrent requests merged into one `predict` call.

A request alone is predicted on the next turn of the event loop (no timer at concurrency 1);
requests read in the same turn, or while a batch is being predicted, form one batch, up to
`max_batch_size` rows. Under load the batcher expects as many requests as its last batch
held and waits up to `max_wait` for them; at concurrency 1 it never waits. Fast models
predict inline on the event loop (a thread hop would cost more than the prediction); slow
ones in worker threads, so the loop keeps reading requests. One batch runs at a time (the
next one gathers meanwhile) until the running one has taken `hostage_after` seconds: then
the next starts on another thread, so one slow input does not hold the others hostage —
up to `threads` batches at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kubeserve.inference.codec import Payload
from kubeserve.inference.merge import Outcome, Predict, run_batch

_Item = tuple[Payload, "asyncio.Future[np.ndarray]"]


class AdaptiveBatcher:
    """Wraps a model's predict; `await submit(payload, method)` answers that payload's rows."""

    def __init__(
        self,
        predict: Predict,
        max_batch_size: int,
        max_wait: float,
        inline: bool,
        arriving: Callable[[], int],
        on_batch: Callable[[int], None],
        exact: frozenset[str],
        threads: int = 4,
        hostage_after: float = 0.1,
    ) -> None:
        self._predict, self._max_rows, self._max_wait = predict, max_batch_size, max_wait
        self.exact = exact  # methods that may merge requests into one call (see merge.py)
        self._inline, self._arriving, self._on_batch = inline, arriving, on_batch
        self._queues: dict[tuple[str, str], deque[_Item]] = {}
        self._queued = 0
        self._last = 1  # requests in the previous batch: how many to expect again
        self._running: dict[int, float] = {}  # batch number -> start (loop time)
        self._batches = 0
        self._threads, self._hostage_after = threads, hostage_after
        self._timer: asyncio.Handle | None = None
        self._recheck: asyncio.Handle | None = None
        self._executor = None if inline else ThreadPoolExecutor(threads, "predict")

    async def submit(self, payload: Payload, method: str) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._queues.setdefault((method, payload.kind), deque()).append((payload, future))
        self._queued += 1
        self._schedule(loop)
        return await future

    def running_for(self) -> float:
        """Seconds the oldest batch still predicting has been running (0: none is)."""
        if not self._running:
            return 0.0
        return asyncio.get_running_loop().time() - min(self._running.values())

    def _busy(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether the next batch waits for a running one (which schedules it when done)."""
        if not self._running:
            return False
        if len(self._running) >= self._threads:
            return True
        since = min(self._running.values()) + self._hostage_after
        if loop.time() < since:
            if self._recheck is None:  # the running batch may be stuck: look again then
                self._recheck = loop.call_at(since, self._check, loop)
            return True
        return False

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self._recheck = None
        self._schedule(loop)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._queued == 0 or self._busy(loop):
            return
        full = any(sum(p.rows for p, _ in q) >= self._max_rows for q in self._queues.values())
        # As many as last time (plus any still being read) is worth no wait; fewer waits up to
        # max_wait for the rest, so cohorts of clients merge instead of alternating.
        if full or self._max_wait == 0 or self._queued >= max(self._last, 1 + self._arriving()):
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_soon(self._flush, loop)
        elif self._timer is None:
            self._timer = loop.call_later(self._max_wait, self._flush, loop)

    def _take(self) -> tuple[str, list[_Item]]:
        """The head of the first waiting queue, up to max_batch_size rows (at least one
        request); that queue then goes last, so no kind of request starves another."""
        key = next(k for k, q in self._queues.items() if q)
        queue, items, rows = self._queues.pop(key), list[_Item](), 0
        self._queues[key] = queue
        while queue and (not items or rows + queue[0][0].rows <= self._max_rows):
            item = queue.popleft()
            if not item[1].done():  # the client may have gone away
                items.append(item)
                rows += item[0].rows
        self._queued = sum(len(q) for q in self._queues.values())
        return key[0], items

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if self._queued == 0 or self._busy(loop):
            return
        method, items = self._take()
        if not items:
            return self._schedule(loop)
        self._last = len(items)
        self._on_batch(len(items))
        payloads = [p for p, _ in items]
        merge = method in self.exact
        if self._executor is None:
            self._finish(loop, items, run_batch(self._predict, method, payloads, merge))
            return
        self._batches += 1
        number = self._batches
        self._running[number] = loop.time()
        job = loop.run_in_executor(self._executor, run_batch, self._predict, method, payloads, merge)
        job.add_done_callback(lambda f: self._finish(loop, items, _outcomes(f, len(items)), number))

    def _finish(
        self, loop: asyncio.AbstractEventLoop, items: list[_Item], results: list[Outcome], number: int = 0
    ) -> None:
        self._running.pop(number, None)
        for (_, future), outcome in zip(items, results, strict=True):
            if not future.done():
                outcome.settle(future)
        self._schedule(loop)

    def close(self) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _outcomes(job: asyncio.Future[list[Outcome]], n: int) -> list[Outcome]:
    """The worker thread's outcomes; if the job itself died, every request learns why."""
    try:
        return job.result()
    except BaseException as exc:
        return [Outcome(error=exc) for _ in range(n)]
