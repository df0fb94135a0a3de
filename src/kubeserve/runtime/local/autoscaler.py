"""The local autoscaler's arithmetic: the HorizontalPodAutoscaler formula and its window.

Pure functions and a small stateful window, no clock of their own (callers pass `now`), so
the behaviour is unit-tested without waiting.
"""

from __future__ import annotations

import math
from collections import deque

from kubeserve.runtime.base import Autoscaling

TOLERANCE = 0.1  # the HPA default: within 10% of the target, leave the count alone


def recommend(
    policy: Autoscaling,
    current: int,
    ready: int,
    in_flight: float,
    tolerance: float = TOLERANCE,
) -> int:
    """Replicas wanted for `in_flight` requests spread over `ready` replicas.

    ceil(ready * avg / target), i.e. ceil(total / target); `current` (the present scale) is
    kept when the ratio is within `tolerance` of 1 or when nothing is ready to measure.
    """
    if ready <= 0:
        return clamp(policy, current)
    ratio = (in_flight / ready) / policy.target_in_flight
    if abs(ratio - 1.0) <= tolerance:
        return clamp(policy, current)
    # The epsilon keeps float noise (e.g. 3 * 1.0000000001) from adding a replica.
    return clamp(policy, math.ceil(ready * ratio - 1e-9))


def clamp(policy: Autoscaling, replicas: int) -> int:
    return max(policy.min_replicas, min(policy.max_replicas, replicas))


class ScaleDownWindow:
    """Scale up at once; scale down only to the highest recommendation of the last `seconds`.

    The HPA's scale-down stabilization: a short dip in traffic does not remove replicas
    that the next burst would need again (no flapping).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._seen: deque[tuple[float, int]] = deque()

    def apply(self, current: int, recommendation: int, now: float) -> int:
        """The replica count to set now, given the present scale and a fresh recommendation."""
        self._seen.append((now, recommendation))
        while self._seen and self._seen[0][0] < now - self.seconds:
            self._seen.popleft()
        if recommendation >= current:
            return recommendation
        return min(current, max(n for _, n in self._seen))
