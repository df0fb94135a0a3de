"""Settings: generated secret key kept private, unsafe production values refused, URLs normalised."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from kubeserve.config import Settings


def make(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg]


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = make(tmp_path).jwt_key
    assert len(first) >= 48
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert make(tmp_path).jwt_key == first  # kept across restarts
    assert make(tmp_path / "other").jwt_key != first


def test_configured_secret_key_wins_and_is_not_written(tmp_path: Path) -> None:
    assert make(tmp_path, secret_key="k" * 40).jwt_key == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_a_missing_or_weak_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(tmp_path, environment="production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(tmp_path, environment="production", secret_key="short")
    assert make(tmp_path, environment="production", secret_key="s" * 32).environment == "production"


def test_database_urls_get_async_drivers(tmp_path: Path) -> None:
    assert (
        make(tmp_path, database_url="postgres://u:p@h/db").sqlalchemy_url == "postgresql+asyncpg://u:p@h/db"
    )
    assert make(tmp_path, database_url="postgresql://u@h/db").sqlalchemy_url == "postgresql+asyncpg://u@h/db"
    assert make(tmp_path).sqlalchemy_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/kubeserve.db"


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBESERVE_STORAGE", "s3")
    monkeypatch.setenv("KUBESERVE_MAX_MODEL_SIZE_MB", "7")
    settings = make(tmp_path)
    assert settings.storage == "s3" and settings.max_model_bytes == 7 * 1024 * 1024
    monkeypatch.setenv("KUBESERVE_STORAGE", "ftp")
    with pytest.raises(ValidationError):
        make(tmp_path)
