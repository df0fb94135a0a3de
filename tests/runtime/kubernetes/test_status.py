"""How a Deployment and its pods read as a KubeServe status (pure: no cluster needed)."""

from __future__ import annotations

from typing import Any

from kubeserve.runtime.base import Phase
from kubeserve.runtime.kubernetes.objects import RELEASE_LABEL
from kubeserve.runtime.kubernetes.runtime import end_answer
from kubeserve.runtime.kubernetes.status import BuildEnd, build_end, observe


def deployment(
    release: int, replicas: int = 1, conditions: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "spec": {"replicas": replicas, "template": {"metadata": {"labels": {RELEASE_LABEL: str(release)}}}},
        "status": {"conditions": conditions or []},
    }


def pod(
    name: str, release: int, ready: bool, waiting: str | None = None, restarts: int = 0
) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting, "message": "m"}} if waiting else {"running": {}}
    return {
        "metadata": {"name": name, "labels": {RELEASE_LABEL: str(release)}},
        "status": {
            "podIP": "10.0.0.1",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"restartCount": restarts, "state": state, "lastState": {"terminated": {"exitCode": 3}}}
            ],
        },
    }


def test_starting_then_running() -> None:
    assert observe(deployment(1), [pod("a", 1, ready=False)]).phase is Phase.STARTING
    running = observe(deployment(1, 2), [pod("a", 1, True), pod("b", 1, False)])
    assert (running.phase, running.release, running.ready_replicas, running.desired_replicas) == (
        Phase.RUNNING,
        1,
        1,
        2,
    )
    assert [r["state"] for r in running.replicas] == ["ready", "starting"]


def test_a_rollout_in_progress_serves_the_old_release_until_the_new_one_is_ready() -> None:
    status = observe(deployment(2), [pod("old", 1, True), pod("new", 2, False)])
    assert (status.phase, status.release, status.failed_release) == (Phase.RUNNING, 1, None)
    done = observe(deployment(2), [pod("new", 2, True)])
    assert (done.release, done.ready_replicas) == (2, 1)


def test_a_failing_new_release_is_refused_while_the_old_one_serves() -> None:
    status = observe(deployment(2), [pod("old", 1, True), pod("new", 2, False, "CrashLoopBackOff", 2)])
    assert (status.phase, status.release, status.failed_release) == (Phase.RUNNING, 1, 2)
    assert status.message is not None and "release 1 keeps serving" in status.message
    assert "CrashLoopBackOff" in status.message and "exit code 3" in status.message


def test_nothing_serving_and_a_reason_is_failed() -> None:
    pulled = observe(deployment(1), [pod("a", 1, False, "ImagePullBackOff")])
    assert (
        pulled.phase is Phase.FAILED and pulled.message is not None and "ImagePullBackOff" in pulled.message
    )
    quota = deployment(
        1,
        6,
        [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "exceeded quota"}],
    )
    refused = observe(quota, [])
    assert refused.phase is Phase.FAILED and "exceeded quota" in (refused.message or "")
    partly = observe(quota, [pod(str(i), 1, True) for i in range(5)])  # 5 serve, the 6th is refused
    assert (partly.phase, partly.ready_replicas, partly.desired_replicas) == (Phase.FAILED, 5, 6)
    late = deployment(
        1,
        1,
        [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "x"}],
    )
    assert observe(late, [pod("a", 1, False)]).phase is Phase.FAILED


def build_pod(phase: str, state: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "containerStatuses": [{"state": state}]}
    if reason:
        status["reason"] = reason
    return {"metadata": {"name": "build-3-abc"}, "status": status}


def test_a_build_pod_ends_with_an_answer_to_read_or_a_reason() -> None:
    running = build_pod("Running", {"running": {}})
    assert build_end(running, 300, 2048) is None
    assert build_end(build_pod("Pending", {"waiting": {"reason": "ContainerCreating"}}), 300, 2048) is None
    assert build_end(build_pod("Pending", {"waiting": {"reason": "ErrImagePull"}}), 300, 2048) is None
    done = build_end(
        build_pod("Succeeded", {"terminated": {"exitCode": 0, "reason": "Completed"}}), 300, 2048
    )
    assert done == BuildEnd(None, 0)
    failed = build_end(build_pod("Failed", {"terminated": {"exitCode": 1, "reason": "Error"}}), 300, 2048)
    assert failed == BuildEnd(None, 1)  # inspect answers its refusals with exit 1: read the log
    late = build_pod("Failed", {"terminated": {"exitCode": 137, "reason": "Error"}}, "DeadlineExceeded")
    assert build_end(late, 300, 2048) == BuildEnd("build timed out after 300 s")
    oom = build_pod("Failed", {"terminated": {"exitCode": 137, "reason": "OOMKilled"}})
    assert build_end(oom, 300, 2048) == BuildEnd("build ran out of memory: killed at its limit of 2048 MiB")
    pull = build_pod("Pending", {"waiting": {"reason": "ImagePullBackOff", "message": 'pulling "x:1"'}})
    assert build_end(pull, 300, 2048) == BuildEnd(
        'the build pod cannot start: ImagePullBackOff: pulling "x:1"'
    )


def test_a_build_answer_is_the_last_log_line_parsed_strictly() -> None:
    ok = '{"ok": true, "signature": {"n_features_in": 4, "notes": []}}'
    assert end_answer(BuildEnd(None, 0), ["pip says hi", ok]).signature == {"n_features_in": 4, "notes": []}
    refused = end_answer(BuildEnd(None, 1), ['{"ok": false, "error": "not a pickle"}'])
    assert not refused.ok and refused.error == "not a pickle"
    assert end_answer(BuildEnd("build timed out after 5 s"), [ok]).error == "build timed out after 5 s"
    for bad in (
        '{"ok": "yes", "signature": {}}',  # not a bool
        '{"ok": true, "signature": [1]}',  # not an object
        '{"ok": false}',  # no reason
        '{"ok": true, "signature": {}, "error": "both"}',
        "[1, 2]",
        '{"ok": true, "signature": {"x": "' + "a" * (4 << 20) + '"}}',  # larger than any answer
    ):
        crashed = end_answer(BuildEnd(None, 0), ["Traceback: boom", bad])
        assert not crashed.ok and (crashed.error or "").startswith("build crashed (exit 0): Traceback: boom")
    assert end_answer(BuildEnd(None, 2), []).error == "build crashed (exit 2): no output"
