"""Start-up pauses garbage collection while the model loads; it must always come back on."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from kubeserve.inference import startup
from tests.inference.conftest import start_app


@pytest.mark.parametrize("paused_at_launch", [False, True])
async def test_collection_is_on_after_start_up(
    iris_artifact: Path, tmp_path: Path, paused_at_launch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if paused_at_launch:  # what `python -m kubeserve.inference` does before importing anything
        monkeypatch.setattr(startup, "resume_gc", True)
        gc.disable()
    try:
        app = await start_app(iris_artifact, work_dir=tmp_path)
        assert app.state.status == "ready" and gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


async def test_collection_is_on_after_a_failed_start_up(tmp_path: Path) -> None:
    bad = tmp_path / "model.joblib"
    bad.write_bytes(b"not a pickle")
    try:
        app = await start_app(bad, work_dir=tmp_path / "work")
        assert app.state.status == "failed" and gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
