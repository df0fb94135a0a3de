"""A user's quota: what an admin set, else the platform default, and its bounds.

CPU and memory are Kubernetes quantities (`500m`, `2`, `1.5`; `512Mi`, `4Gi`, `1G`), kept as
given once valid and within bounds; pods is a count. The runtime gets the effective `Quota`
(Kubernetes: the tenant's ResourceQuota; local: at most `pods` replicas at once).
"""

from __future__ import annotations

import re
from decimal import Decimal

from kubeserve.config import Settings
from kubeserve.orm import User
from kubeserve.runtime.base import Quota

# ASCII digits only and no final newline (`\d` and `$` would take "٤" and "2\n", which the
# Kubernetes API server refuses in the tenant's ResourceQuota): matched with fullmatch.
CPU = re.compile(r"([0-9]+)m|([0-9]+(?:\.[0-9]{1,3})?)")
MEMORY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?")
SUFFIX = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
}
CPU_BOUNDS = (100, 1024 * 1000)  # millicores: 100m .. 1024 CPUs
MEMORY_BOUNDS = (64 * 2**20, 16 * 2**40)  # bytes: 64Mi .. 16Ti
MAX_PODS = 1000


def millicores(value: str) -> int:
    """`500m` -> 500, `1.5` -> 1500; ValueError says what is accepted."""
    found = CPU.fullmatch(value)
    if found is None:
        raise ValueError(f"{value!r} is not a CPU quantity: use cores (2, 1.5) or millicores (500m)")
    return int(found[1]) if found[1] else int(Decimal(found[2]) * 1000)


def memory_bytes(value: str) -> int:
    """`4Gi` -> 4294967296, `1G` -> 10**9; ValueError says what is accepted."""
    found = MEMORY.fullmatch(value)
    if found is None:
        raise ValueError(
            f"{value!r} is not a memory quantity: a number with Ki/Mi/Gi/Ti or k/M/G/T (e.g. 4Gi)"
        )
    return int(Decimal(found[1]) * SUFFIX[found[2]])


def check_cpu(value: str) -> str:
    low, high = CPU_BOUNDS
    if not low <= millicores(value) <= high:
        raise ValueError(f"{value!r} is out of bounds: between 100m and 1024")
    return value


def check_memory(value: str) -> str:
    low, high = MEMORY_BOUNDS
    if not low <= memory_bytes(value) <= high:
        raise ValueError(f"{value!r} is out of bounds: between 64Mi and 16Ti")
    return value


def default(settings: Settings) -> Quota:
    return Quota(
        settings.kubernetes_quota_cpu, settings.kubernetes_quota_memory, settings.kubernetes_quota_pods
    )


def effective(user: User, settings: Settings) -> Quota:
    """What an admin set for `user`, field by field, else the platform default."""
    platform = default(settings)
    return Quota(
        user.quota_cpu or platform.cpu,
        user.quota_memory or platform.memory,
        platform.pods if user.quota_pods is None else user.quota_pods,
    )
