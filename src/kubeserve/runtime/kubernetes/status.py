"""What a Deployment and its pods (as the watch last saw them) say about a KubeServe deployment.

Pure functions over plain dicts, so every rule is testable without a cluster:
- the serving release is the template's once its pods are ready and no older pod is; until
  then the older release that still has ready pods;
- a new release has failed when one of its pods cannot pull its image, crash-loops (a model
  that never gets ready is killed by its startup probe: that too), cannot get its config, when
  admission refused its pods (quota:
  the Deployment's ReplicaFailure condition) or the rollout passed its progress deadline;
  with an older release still ready that is a refused rollout (`failed_release`), else Failed.
- a build pod has ended when it Succeeded or Failed (its answer is then in its log), or when it
  cannot start (image, config); past its deadline or killed at its memory limit there is no
  answer to read, only the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeserve.runtime.base import Phase, RuntimeStatus
from kubeserve.runtime.kubernetes.objects import RELEASE_LABEL

Doc = dict[str, Any]
FAILING = {
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
}


def release_of(obj: Doc) -> int:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return int(labels.get(RELEASE_LABEL, 0))


def template_release(deployment: Doc) -> int:
    return release_of(deployment["spec"]["template"])


def is_ready(pod: Doc) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_problem(pod: Doc) -> str | None:
    """Why this pod will not serve, if it is stuck rather than starting."""
    if is_ready(pod):
        return None
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAILING:
            last = ((status.get("lastState") or {}).get("terminated") or {}).get("exitCode")
            exited = f" (last exit code {last})" if last is not None else ""
            return f"{waiting['reason']}: {waiting.get('message') or ''}{exited}".strip()
    return None


def deployment_problem(deployment: Doc) -> str | None:
    for condition in (deployment.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
            return f"{condition.get('reason')}: {condition.get('message')}"
        if condition.get("reason") == "ProgressDeadlineExceeded":
            return f"ProgressDeadlineExceeded: {condition.get('message')}"
    return None


def observe(deployment: Doc, pods: list[Doc]) -> RuntimeStatus:
    release = template_release(deployment)
    desired = int((deployment.get("spec") or {}).get("replicas") or 0)
    ready = [p for p in pods if is_ready(p)]
    new_ready = [p for p in ready if release_of(p) == release]
    old_ready = [p for p in ready if release_of(p) != release]
    refused = deployment_problem(deployment)  # quota, progress deadline: pods the cluster won't run
    problem = refused or next(
        (f"{p['metadata']['name']}: {m}" for p in pods if release_of(p) == release and (m := pod_problem(p))),
        None,
    )
    serving = release
    if old_ready and (len(new_ready) < desired or problem):
        serving = max(release_of(p) for p in old_ready)
    count = len([p for p in ready if release_of(p) == serving])
    detail = [_detail(p) for p in pods]
    if problem and serving != release:
        message = f"release {release} failed to start, release {serving} keeps serving: {problem}"
        return RuntimeStatus(Phase.RUNNING, serving, count, desired, message, release, detail)
    if count and not (refused and count < desired):
        return RuntimeStatus(Phase.RUNNING, serving, count, desired, None, None, detail)
    if problem:  # nothing serves, or fewer replicas than asked and the cluster says why
        return RuntimeStatus(Phase.FAILED, release, count, desired, problem, None, detail)
    return RuntimeStatus(Phase.STARTING, release, 0, desired, None, None, detail)


def _detail(pod: Doc) -> dict[str, object]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    state = "ready" if is_ready(pod) else pod_problem(pod) or "starting"
    return {
        "id": pod["metadata"]["name"],
        "release": release_of(pod),
        "state": state,
        "restarts": statuses[0].get("restartCount", 0),
        "ip": (pod.get("status") or {}).get("podIP"),
    }


# --- builds -------------------------------------------------------------------------------------

NEVER_STARTS = FAILING - {"ErrImagePull", "CrashLoopBackOff"}  # ErrImagePull: one retry first


@dataclass(frozen=True)
class BuildEnd:
    """A build pod that will run no further. `error`: why it failed without an answer to read;
    None: its answer (or its crash) is in its log."""

    error: str | None = None
    exit_code: int | None = None


def build_end(pod: Doc, timeout: int, memory_mb: int) -> BuildEnd | None:
    """Whether the build pod has ended, and how; None while it may still run."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Failed" and status.get("reason") == "DeadlineExceeded":
        return BuildEnd(f"build timed out after {timeout} s")
    exit_code = None
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated") or {}, state.get("waiting") or {}
        if terminated.get("reason") == "OOMKilled":
            return BuildEnd(f"build ran out of memory: killed at its limit of {memory_mb} MiB")
        if waiting.get("reason") in NEVER_STARTS:
            why = f"{waiting['reason']}: {waiting.get('message') or ''}"
            return BuildEnd(f"the build pod cannot start: {why}")
        exit_code = terminated.get("exitCode", exit_code)
    if phase in ("Succeeded", "Failed"):
        return BuildEnd(None, exit_code)
    return None
