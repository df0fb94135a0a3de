"""The HPA formula and the scale-down window, without processes or clocks."""

from __future__ import annotations

from kubeserve.runtime.base import Autoscaling
from kubeserve.runtime.local.autoscaler import ScaleDownWindow, recommend

POLICY = Autoscaling(min_replicas=1, max_replicas=5, target_in_flight=2.0)


def test_recommend_follows_the_hpa_formula() -> None:
    assert recommend(POLICY, current=2, ready=2, in_flight=8) == 4  # avg 4 = 2x target
    assert recommend(POLICY, current=4, ready=4, in_flight=2) == 1  # avg 0.5
    assert recommend(POLICY, current=3, ready=3, in_flight=7) == 4  # ceil(3.5)


def test_recommend_keeps_the_count_within_tolerance() -> None:
    assert recommend(POLICY, current=3, ready=3, in_flight=6.5) == 3  # ratio 1.08
    assert recommend(POLICY, current=3, ready=3, in_flight=5.5) == 3  # ratio 0.92


def test_recommend_clamps_and_waits_for_ready_replicas() -> None:
    assert recommend(POLICY, current=2, ready=2, in_flight=100) == 5
    assert recommend(POLICY, current=2, ready=2, in_flight=0) == 1
    assert recommend(POLICY, current=3, ready=0, in_flight=0) == 3
    assert recommend(POLICY, current=9, ready=0, in_flight=0) == 5


def test_window_scales_up_at_once_and_down_only_after_the_window() -> None:
    window = ScaleDownWindow(seconds=10)
    assert window.apply(current=1, recommendation=4, now=0) == 4
    assert window.apply(current=4, recommendation=1, now=3) == 4  # 4 seen 3 s ago
    assert window.apply(current=4, recommendation=2, now=9) == 4
    assert window.apply(current=4, recommendation=1, now=11) == 2  # the 4 left the window
    assert window.apply(current=2, recommendation=1, now=20) == 1


def test_window_of_zero_follows_the_recommendation() -> None:
    window = ScaleDownWindow(seconds=0)
    assert window.apply(current=3, recommendation=1, now=0) == 1
