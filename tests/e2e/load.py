"""A client that keeps predicting in a background thread and counts what went wrong."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx


class LoadLoop:
    """POST `payload` to `url` in a loop from `workers` threads until stopped."""

    def __init__(self, url: str, headers: dict[str, str], payload: Any, workers: int = 2) -> None:
        self.url, self.headers, self.payload = url, headers, payload
        self.statuses: Counter[int] = Counter()
        self.answers: Counter[str] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def __enter__(self) -> LoadLoop:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                try:
                    r = http.post(self.url, json=self.payload, headers=self.headers)
                except httpx.HTTPError as exc:
                    self.failures.append(f"transport: {exc!r}")
                    continue
                self.statuses[r.status_code] += 1
                if r.status_code == 200:
                    self.answers[str(r.json()["predictions"])] += 1
                else:
                    self.failures.append(f"{r.status_code}: {r.text[:200]}")
