"""Failed-login throttling: after N failures an email is locked out for a while (429).

Kept in the control plane's memory: enough for one process; a multi-replica control plane
would move it to the database or Redis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MAX_TRACKED = 10_000


@dataclass
class LoginThrottle:
    max_failures: int
    lockout_seconds: int
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def retry_after(self, email: str) -> int:
        """Seconds until `email` may try again; 0 when it is not locked out."""
        recent = self._recent(email)
        if len(recent) < self.max_failures:
            return 0
        return max(1, int(recent[-self.max_failures] + self.lockout_seconds - time.monotonic()))

    def failed(self, email: str) -> None:
        self._recent(email).append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(email.lower(), None)

    def _recent(self, email: str) -> list[float]:
        cutoff = time.monotonic() - self.lockout_seconds
        if len(self._failures) > MAX_TRACKED:  # many emails tried: forget the stale ones
            self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > cutoff}
        recent = [t for t in self._failures.get(email.lower(), []) if t > cutoff]
        self._failures[email.lower()] = recent
        return recent
