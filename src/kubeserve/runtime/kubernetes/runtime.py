"""`KubernetesRuntime`: deployments as Deployments in per-tenant namespaces, observed by watches.

One lightkube AsyncClient, one field manager (`kubeserve`), server-side apply of what
`objects.py` builds. Three watches (Deployments, Pods, Services labelled managed-by=kubeserve,
all namespaces) keep an in-memory cache: `observe()` and `upstream()` read it, never the API.
The gateway reaches a deployment through its Service's ClusterIP with the deployment's token.
A build is a bare Pod in the tenant's namespace, awaited through the Pod watch; its answer is
the last line of its log; its Pod and Secret are deleted when it ends (leftovers of a control
plane that died mid-build: by the sweep at the start of the next build).

Per process: the caches and the tenants already set up, with the quota applied to each (a spec
carrying another quota re-applies them; an admin's change comes through `apply_quota`, from
whichever control plane took it); nothing that must agree across
control-plane replicas (tokens are derived from the signing key, presigned URLs from the day).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from lightkube import ALL_NS, ApiError, AsyncClient, KubeConfig, operators
from lightkube.codecs import from_dict
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.core_v1 import Pod, PodLog, Secret, Service
from lightkube.types import CascadeType

from kubeserve.config import Settings
from kubeserve.runtime.base import (
    MAX_ANSWER_BYTES,
    STOPPED,
    BuildAnswer,
    BuildSpec,
    DeploymentSpec,
    Quota,
    RuntimeFailure,
    RuntimeStatus,
    Upstream,
)
from kubeserve.runtime.kubernetes import objects, status
from kubeserve.runtime.kubernetes.lease import LeaderElection
from kubeserve.storage import ArtifactStore, S3Store, parse_uri

log = logging.getLogger(__name__)
FIELD_MANAGER = "kubeserve"
SELECTOR: dict[str, Any] = dict(objects.MANAGED_BY)
URL_LIFETIME = timedelta(days=7)  # S3's longest; signed at the day's start: >= 6 days left
ServiceMonitor = create_namespaced_resource(
    "monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"
)
Doc = dict[str, Any]
SYNC_TIMEOUT = 10.0
BUILD_LOG_BYTES = MAX_ANSWER_BYTES + (64 << 10)  # the answer and a few short lines before it
REPLICA_LOG_BYTES = 1 << 20  # of each replica's log in GET .../logs (up to 5000 lines asked)
BUILD_GRACE = timedelta(seconds=120)  # beyond the build timeout: scheduling, image pull, clean-up


class KubernetesRuntime:
    traffic = None  # the Service balances; the HPA scales on CPU

    def __init__(self, settings: Settings, store: ArtifactStore, client: AsyncClient | None = None) -> None:
        if not isinstance(store, S3Store):
            raise ValueError(
                "KUBESERVE_RUNTIME=kubernetes needs KUBESERVE_STORAGE=s3: pods read artifacts over HTTP"
            )
        self.settings, self.store = settings, store
        config = (
            KubeConfig.from_file(settings.kubeconfig)
            if settings.kubeconfig
            else KubeConfig.from_service_account()
        )
        self.client = client or AsyncClient(config, field_manager=FIELD_MANAGER, trust_env=False)
        self.leader = LeaderElection(self.client, settings)
        self._deployments: dict[str, Doc] = {}  # by deployment name (names are unique)
        self._pods: dict[str, Doc] = {}  # by uid
        self._services: dict[str, Doc] = {}  # by name
        self._ready: dict[str, set[str]] = {}  # deployment name -> uids of its ready pods
        self._tenants: dict[int, Quota] = {}  # owners set up by this process, with their quota
        self._pods_changed = asyncio.Event()  # set (and replaced) on every pod event
        self._namespaces: dict[str, str] = {}  # name -> namespace, known before the watch says
        self._synced: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._service_monitors: bool | None = None

    @property
    def leading(self) -> bool:
        return self.leader.leading

    def _start(self) -> None:
        if self._tasks:
            return
        for kind, cache in ((Deployment, self._deployments), (Pod, self._pods), (Service, self._services)):
            self._synced[kind.__name__] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._watch(kind, cache), name=f"watch-{kind.__name__}"))
        self._tasks.append(asyncio.create_task(self.leader.run(), name="leader-election"))

    async def _synced_all(self) -> None:
        """The first listing of every watched kind is in the cache (once, at start-up)."""
        self._start()
        try:
            async with asyncio.timeout(SYNC_TIMEOUT):
                await asyncio.gather(*(e.wait() for e in self._synced.values()))
        except TimeoutError:
            raise RuntimeFailure("the Kubernetes API server does not answer; retrying") from None

    # --- the contract -------------------------------------------------------------------------

    async def apply(self, spec: DeploymentSpec) -> None:
        await self._synced_all()
        if not self._current(spec):
            return
        try:
            await self._ensure_tenant(spec.owner_id, spec.quota)
            urls = objects.ArtifactUrls(
                await self._presign(spec.artifact_uri),
                await self._presign(spec.requirements_uri),
                self.token(spec.name),
                await self._presign(spec.code_uri) if spec.code_uri else None,
            )
            self._namespaces[spec.name] = objects.namespace_of(spec.owner_id)
            monitors = await self._has_service_monitors()
            for doc in objects.deployment_objects(spec, self.settings, urls, monitors):
                await self._apply(doc)
            if spec.autoscaling is None:
                await self._delete(HorizontalPodAutoscaler, spec.name, objects.namespace_of(spec.owner_id))
        except ApiError as exc:
            raise RuntimeFailure(f"the Kubernetes API refused {spec.name}: {exc.status.message}") from exc

    async def _ensure_tenant(self, owner_id: int, quota: Quota) -> None:
        """The tenant's namespace and guard rails (`quota`, LimitRange, network policies),
        applied before anything of the tenant's runs, deployments and builds alike; again when
        the quota differs from the one this process applied last."""
        if self._tenants.get(owner_id) == quota:
            return
        for doc in objects.tenant_objects(owner_id, self.settings, quota):
            await self._apply(doc)
        self._tenants[owner_id] = quota

    async def apply_quota(self, owner_id: int, quota: Quota) -> None:
        """Re-apply the owner's ResourceQuota (server-side apply: any control plane may).
        An owner without a namespace yet gets it with their first deployment's tenant objects."""
        try:
            await self._apply(objects.resource_quota(objects.namespace_of(owner_id), quota))
        except ApiError as exc:
            if exc.status.code != 404:
                raise RuntimeFailure(f"the Kubernetes API refused the quota: {exc.status.message}") from exc
            return
        if owner_id in self._tenants:
            self._tenants[owner_id] = quota

    def _current(self, spec: DeploymentSpec) -> bool:
        """Apply a release only if it is not older than the template's, unless it rolls back a
        release that failed (the reconciler points a refused rollout back at what serves)."""
        existing = self._deployments.get(spec.name)
        if existing is None:
            return True
        applied = status.template_release(existing)
        if spec.release >= applied:
            return True
        observed = self._observe_one(spec.name)
        return observed.failed_release == applied and observed.release == spec.release

    async def delete(self, name: str) -> None:
        await self._synced_all()
        existing = self._deployments.get(name) or self._services.get(name)
        applied = self._namespaces.pop(name, None)
        ns = existing["metadata"]["namespace"] if existing else applied
        if ns is None:
            return
        kinds: list[Any] = [Deployment, Service, HorizontalPodAutoscaler]
        if await self._has_service_monitors():
            kinds.append(ServiceMonitor)
        for kind in kinds:
            await self._delete(kind, name, ns)
        owned: dict[str, Any] = {objects.DEPLOYMENT_LABEL: name}
        names = [
            s.metadata.name async for s in self.client.list(Secret, namespace=ns, labels=owned) if s.metadata
        ]
        for secret in names:
            await self._delete(Secret, str(secret), ns)
        self._deployments.pop(name, None)
        self._services.pop(name, None)

    async def observe(self) -> Mapping[str, RuntimeStatus]:
        await self._synced_all()
        return {name: self._observe_one(name) for name in self._deployments}

    def _observe_one(self, name: str) -> RuntimeStatus:
        deployment = self._deployments.get(name)
        if deployment is None:
            return STOPPED
        pods = [
            p for p in self._pods.values() if p["metadata"]["labels"].get(objects.DEPLOYMENT_LABEL) == name
        ]
        return status.observe(deployment, pods)

    def upstream(self, name: str) -> Upstream | None:
        svc = self._services.get(name)
        if svc is None or not self._ready.get(name):
            return None
        ip = svc["spec"].get("clusterIP")
        return Upstream(f"http://{ip}:{objects.PORT}", self.token(name)) if ip else None

    async def logs(self, name: str, tail: int) -> list[str]:
        await self._synced_all()
        lines: list[str] = []
        for pod in sorted(self._pods.values(), key=lambda p: p["metadata"]["name"]):
            meta = pod["metadata"]
            if meta["labels"].get(objects.DEPLOYMENT_LABEL) != name:
                continue
            for line in await self._log(meta["name"], meta["namespace"], tail, REPLICA_LOG_BYTES):
                lines.append(f"[{meta['name']}] {line.rstrip()}")
        return lines

    async def build(self, spec: BuildSpec) -> BuildAnswer:
        await self._synced_all()
        ns = objects.namespace_of(spec.owner_id)
        name = objects.build_name(spec, secrets.token_hex(3))
        try:
            await self._ensure_tenant(spec.owner_id, spec.quota)
            await self._sweep_builds(spec)
            lifetime = timedelta(seconds=self.settings.build_timeout_seconds) + BUILD_GRACE
            urls = objects.BuildUrls(
                await self._presign(spec.artifact_uri, lifetime),
                await self._presign(spec.requirements_uri, lifetime),
                await self._presign(spec.code_uri, lifetime) if spec.code_uri else None,
            )
        except ApiError as exc:
            message = exc.status.message
            raise RuntimeFailure(f"the Kubernetes API refused the build's tenant: {message}") from exc
        secret, pod = objects.build_objects(spec, name, self.settings, urls)
        try:
            await self.client.create(from_dict(secret))
            try:
                await self.client.create(from_dict(pod))
            except ApiError as exc:
                message = str(exc.status.message)
                if exc.status.code == 403 and "exceeded quota" in message:
                    return BuildAnswer.failed(f"exceeded quota: the build needs a pod of its own; {message}")
                return BuildAnswer.failed(f"the cluster refused the build pod: {message}")
            return await self._build_answer(name, ns)
        finally:
            await asyncio.shield(self._delete_build(name, ns))

    async def _build_answer(self, name: str, ns: str) -> BuildAnswer:
        """Wait (on the Pod watch) for the build pod to end; its answer, or why there is none."""
        timeout = self.settings.build_timeout_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout + BUILD_GRACE.total_seconds()
        seen = False
        while True:
            changed = self._pods_changed
            pod = self._build_pod(name, ns)
            seen = seen or pod is not None
            if pod is None and seen:
                return BuildAnswer.failed("the build pod was deleted before it ended")
            end = status.build_end(pod, timeout, self.settings.build_memory_mb) if pod else None
            if end is not None:
                return end_answer(end, await self._build_log(name, ns))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return BuildAnswer.failed(f"build timed out after {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _build_pod(self, name: str, ns: str) -> Doc | None:
        return next(
            (
                p
                for p in self._pods.values()
                if p["metadata"]["name"] == name and p["metadata"]["namespace"] == ns
            ),
            None,
        )

    async def _build_log(self, name: str, ns: str) -> list[str]:
        """The last lines of the build's log: the answer is the last one."""
        return await self._log(name, ns, 5, BUILD_LOG_BYTES)

    async def _log(self, name: str, ns: str, tail: int, limit: int) -> list[str]:
        """The last `tail` lines of a pod's log, at most `limit` bytes of them. Bounded here: a
        tenant's code can print a line of gigabytes before the kubelet rotates its log, and
        lightkube's `log()` reads a whole answer into memory and has no `limitBytes`, so the
        request goes through lightkube's own request builder, streamed."""
        http = self.client._client  # lightkube's GenericAsyncClient: prepare, send (streamed)
        params = {"tailLines": tail, "limitBytes": limit}
        request = http.build_adapter_request(
            http.prepare_request("get", PodLog, name=name, namespace=ns, params=params)
        )
        data = bytearray()
        with contextlib.suppress(httpx2.HTTPError):  # lightkube's HTTP client
            response = await http.send(request, stream=True)
            try:
                if response.is_error:
                    return []
                async for chunk in response.aiter_raw():
                    data += chunk[: limit - len(data)]
                    if len(data) >= limit:
                        break
            finally:
                await response.aclose()
        return data.decode(errors="replace").splitlines()

    async def _delete_build(self, name: str, ns: str) -> None:
        for kind in (Pod, Secret):
            try:
                await self._delete(kind, name, ns)
            except ApiError as exc:  # it will be swept
                log.warning("could not delete build %s %s/%s: %s", kind.__name__, ns, name, exc)

    async def _sweep_builds(self, spec: BuildSpec) -> None:
        """Remove build objects no build waits for: an earlier build of this version (a control
        plane that died mid-build; the build runs again now) and any older than a build lasts."""
        too_old = datetime.now(UTC) - timedelta(seconds=self.settings.build_timeout_seconds) - 2 * BUILD_GRACE
        selector: dict[str, Any] = {**SELECTOR, objects.BUILD_LABEL: operators.exists()}
        pods = [p for p in self._pods.values() if objects.BUILD_LABEL in p["metadata"]["labels"]]
        found: list[tuple[Any, Doc]] = [(Pod, p) for p in pods]
        listing = self.client.list(Secret, namespace=ALL_NS, labels=selector)
        found += [(Secret, s.to_dict()) async for s in listing]
        for kind, doc in found:
            meta = doc["metadata"]
            created = datetime.fromisoformat(meta["creationTimestamp"].replace("Z", "+00:00"))
            if meta["labels"][objects.BUILD_LABEL] == str(spec.version_id) or created < too_old:
                await self._delete(kind, meta["name"], meta["namespace"])

    async def close(self) -> None:
        """Stop watching (the pods keep running: the cluster owns them)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.leader.release()
        await self.client.close()

    # --- helpers ------------------------------------------------------------------------------

    def token(self, name: str) -> str:
        """The deployment's replica token: derived, so every control-plane replica agrees."""
        key = self.settings.jwt_key.encode()
        return hmac.new(key, f"replica-token:{name}".encode(), hashlib.sha256).hexdigest()

    async def _presign(self, uri: str, lifetime: timedelta | None = None) -> str:
        """A GET URL for one object: signed at the day's start for replicas (every control-plane
        replica signs the same), from now for `lifetime` for a build."""
        bucket, key = parse_uri(uri)
        if not bucket:
            raise RuntimeFailure(f"pods cannot read {uri}: the Kubernetes runtime needs an S3 artifact store")
        assert isinstance(self.store, S3Store)
        if lifetime is not None:
            return await self.store.presigned_get(key, lifetime)
        day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return await self.store.presigned_get(key, URL_LIFETIME, request_date=day)

    async def _apply(self, doc: Doc) -> None:
        await self.client.apply(from_dict(doc), field_manager=FIELD_MANAGER, force=True)

    async def _delete(self, kind: Any, name: str, namespace: str) -> None:
        try:
            await self.client.delete(kind, name, namespace=namespace, cascade=CascadeType.BACKGROUND)
        except ApiError as exc:
            if exc.status.code != 404:
                raise

    async def _has_service_monitors(self) -> bool:
        """Whether the cluster serves ServiceMonitors (the Prometheus Operator's CRD)."""
        if self._service_monitors is None:
            try:
                async for _ in self.client.list(
                    ServiceMonitor, namespace=self.settings.kubernetes_platform_namespace
                ):
                    break
                self._service_monitors = True
            except ApiError as exc:
                if exc.status.code not in (403, 404):
                    raise
                self._service_monitors = False
        return self._service_monitors

    def _track(self, pod: Doc, deleted: bool) -> None:
        """Keep the ready pods per deployment current: `upstream` must not scan pods. Wake
        whoever waits for a pod (builds)."""
        self._pods_changed.set()
        self._pods_changed = asyncio.Event()
        meta = pod["metadata"]
        if objects.DEPLOYMENT_LABEL not in meta["labels"]:
            return  # a build's pod
        ready = self._ready.setdefault(meta["labels"][objects.DEPLOYMENT_LABEL], set())
        if status.is_ready(pod) and not deleted:
            ready.add(meta["uid"])
        else:
            ready.discard(meta["uid"])

    async def _watch(self, kind: Any, cache: dict[str, Doc]) -> None:
        """List, then watch from the list's resourceVersion; start over on any error."""
        keyed = (lambda d: d["metadata"]["uid"]) if kind is Pod else (lambda d: d["metadata"]["name"])
        while True:
            try:
                listing = self.client.list(kind, namespace=ALL_NS, labels=SELECTOR)
                fresh = {keyed(d): d for d in [o.to_dict() async for o in listing]}
                cache.clear()
                cache.update(fresh)
                if kind is Pod:
                    self._ready.clear()
                    for doc in fresh.values():
                        self._track(doc, deleted=False)
                self._synced[kind.__name__].set()
                watch = self.client.watch(
                    kind, namespace=ALL_NS, labels=SELECTOR, resource_version=listing.resourceVersion
                )
                async for event, obj in watch:
                    doc = obj.to_dict()
                    if event == "DELETED":
                        cache.pop(keyed(doc), None)
                    else:
                        cache[keyed(doc)] = doc
                    if kind is Pod:
                        self._track(doc, deleted=event == "DELETED")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the API server restarted, 410 Gone, a network blip
                log.warning("watching %s failed (%s); listing again", kind.__name__, exc)
                await asyncio.sleep(1.0)


def end_answer(end: status.BuildEnd, log_lines: list[str]) -> BuildAnswer:
    """A build pod's answer: the last line of its log, parsed strictly; else why it ended."""
    if end.error is not None:
        return BuildAnswer.failed(end.error)
    if log_lines and (answer := BuildAnswer.parse(log_lines[-1])) is not None:
        return answer
    tail = "\n".join(line[:500] for line in log_lines[-5:]).strip()
    return BuildAnswer.failed(f"build crashed (exit {end.exit_code}): {tail or 'no output'}")
