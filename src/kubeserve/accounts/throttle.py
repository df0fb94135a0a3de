"""Failed-login throttling, keyed so that an attacker cannot lock the owner out.

- Per (client address, email): after `max_failures` failures, each further try from that
  address for that email waits `back_off_seconds`, doubling with every further failure up
  to `back_off_max_seconds` (429 with Retry-After). The same email from another address is
  not affected, so a stranger's failures never refuse the owner's correct password.
- Per client address: more than `address_max_failures` failures within an hour (any emails)
  and that address answers 429 to every login until the oldest one is an hour old.

Kept in the control plane's memory (bounded): enough for one process; a multi-replica
control plane would move it to the database or Redis.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

MAX_TRACKED = 10_000
ADDRESS_WINDOW_SECONDS = 3600.0


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    max_failures: int
    back_off_seconds: float
    back_off_max_seconds: float
    address_max_failures: int
    _pairs: dict[tuple[str, str], _Failures] = field(default_factory=dict)
    _addresses: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, address: str, email: str) -> int:
        """Seconds until `address` may try `email` again; 0 when it may try now."""
        now = time.monotonic()
        waits = [0.0]
        record = self._pairs.get((address, email.lower()))
        if record is not None and record.count >= self.max_failures:
            waits.append(record.last + self._back_off(record.count) - now)
        recent = self._addresses.get(address)
        if recent is not None and len(recent) >= self.address_max_failures:
            waits.append(recent[0] + ADDRESS_WINDOW_SECONDS - now)
        wait = max(waits)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, email: str) -> None:
        now = time.monotonic()
        self._forget_stale(now)
        record = self._pairs.setdefault((address, email.lower()), _Failures())
        record.count, record.last = record.count + 1, now
        recent = self._addresses.setdefault(address, deque(maxlen=self.address_max_failures))
        recent.append(now)

    def succeeded(self, address: str, email: str) -> None:
        self._pairs.pop((address, email.lower()), None)

    def _back_off(self, count: int) -> float:
        doublings = min(count - self.max_failures, 32)
        return min(self.back_off_max_seconds, self.back_off_seconds * 2**doublings)

    def _forget_stale(self, now: float) -> None:
        """Many keys tried: drop those whose back-off (or window) is over; memory stays bounded."""
        if len(self._pairs) > MAX_TRACKED:
            self._pairs = {k: v for k, v in self._pairs.items() if v.last + self._back_off(v.count) > now}
        if len(self._addresses) > MAX_TRACKED:
            cutoff = now - ADDRESS_WINDOW_SECONDS
            self._addresses = {k: v for k, v in self._addresses.items() if v and v[-1] > cutoff}
