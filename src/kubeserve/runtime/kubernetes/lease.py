"""Leader election through a coordination.k8s.io Lease, as client-go's leaderelection does it:
hold the Lease by renewing it every third of its duration; take it over once its holder has
not renewed for a whole duration; optimistic concurrency (resourceVersion) settles races.

Only the leader reconciles; the other control-plane replicas serve the API and the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from lightkube import ApiError, AsyncClient
from lightkube.models.coordination_v1 import LeaseSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease

from kubeserve.config import Settings

log = logging.getLogger(__name__)
LEASE_NAME = "kubeserve-reconciler"


class LeaderElection:
    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client, self.namespace = client, settings.kubernetes_platform_namespace
        self.duration = settings.kubernetes_lease_seconds
        self.identity = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.leading = False
        self._renewed = datetime.min.replace(tzinfo=UTC)

    async def run(self) -> None:
        while True:
            try:
                await self.try_acquire()
            except ApiError as exc:
                log.warning("leader election: %s", exc.status.message)
            if self.leading and datetime.now(UTC) - self._renewed > timedelta(seconds=self.duration):
                self.leading = False  # could not renew in time: someone else may lead now
            await asyncio.sleep(self.duration / 3)

    async def try_acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            lease = await self.client.get(Lease, LEASE_NAME, namespace=self.namespace)
        except ApiError as exc:
            if exc.status.code != 404:
                raise
            return await self._write(None, now)
        spec = lease.spec or LeaseSpec()
        renewed = spec.renewTime or spec.acquireTime
        expired = renewed is None or now - renewed > timedelta(
            seconds=spec.leaseDurationSeconds or self.duration
        )
        if spec.holderIdentity in (self.identity, None, "") or expired:
            return await self._write(lease, now)
        self.leading = False
        return False

    async def _write(self, lease: Lease | None, now: datetime) -> bool:
        previous = lease.spec if lease is not None and lease.spec else LeaseSpec()
        mine = previous.holderIdentity == self.identity
        spec = LeaseSpec(
            holderIdentity=self.identity,
            leaseDurationSeconds=max(1, round(self.duration)),
            acquireTime=previous.acquireTime if mine else now,
            renewTime=now,
            leaseTransitions=(previous.leaseTransitions or 0) + (0 if mine else 1),
        )
        try:
            if lease is None:
                await self.client.create(
                    Lease(metadata=ObjectMeta(name=LEASE_NAME, namespace=self.namespace), spec=spec)
                )
            else:
                assert lease.metadata is not None
                await self.client.replace(Lease(metadata=lease.metadata, spec=spec))
        except ApiError as exc:
            if exc.status.code == 409:  # someone else wrote first
                self.leading = False
                return False
            raise
        if not self.leading:
            log.info("leader election: %s now reconciles", self.identity)
        self.leading, self._renewed = True, now
        return True

    async def release(self) -> None:
        """Hand the Lease over at once on a clean shutdown (holder cleared, as client-go does)."""
        if not self.leading:
            return
        self.leading = False
        try:
            lease = await self.client.get(Lease, LEASE_NAME, namespace=self.namespace)
            if lease.spec is not None and lease.spec.holderIdentity == self.identity:
                lease.spec.holderIdentity = None
                lease.spec.leaseDurationSeconds = 1
                await self.client.replace(lease)
        except ApiError as exc:
            log.warning("leader election: could not release the lease: %s", exc.status.message)
