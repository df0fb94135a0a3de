"""Model server settings: command-line flags, or `KUBESERVE_MODEL_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModelServerSettings(BaseSettings):
    """Every knob of one model-server replica; one line of doc per field."""

    model_config = SettingsConfigDict(env_prefix="KUBESERVE_MODEL_", extra="ignore")

    artifact: str
    """The model file: a local path, a file:// URI or s3://bucket/key."""
    requirements: str | None = None
    """requirements.txt (path or URI); what it adds is pip-installed into packages_dir."""
    code: str | None = None
    """The user's shipped code: a code.zip (path or URI) put on sys.path before loading."""
    sha256: str | None = None
    """Expected sha256 of the artifact; a mismatch refuses to start."""
    name: str = "model"
    """Model name, as used by the V2 protocol (/v2/models/{name})."""
    version: str = Field(default="1", min_length=1)
    """Model version: V2's `model_version` and /v2/models/{name}/versions/{version}."""
    host: str = "127.0.0.1"
    """Bind address."""
    port: int = Field(default=8080, ge=0, le=65535)
    """Port."""
    workers: int = Field(default=1, ge=1)
    """Worker processes (each loads the model once)."""
    max_batch_size: int = Field(default=64, ge=1)
    """Most rows merged into one predict call by the adaptive batcher."""
    max_batch_wait_ms: float = Field(default=2.0, ge=0)
    """Longest a request waits for others to join its batch (only while others are arriving)."""
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    """Largest request body; larger ones get 413."""
    packages_dir: Path | None = None
    """Private directory for this model's pip installs; default a fresh temporary directory."""
    work_dir: Path | None = None
    """Where fetched artifacts are written; default a fresh temporary directory."""
    pip_index_url: str | None = None
    """Package index for requirement installs (default: pip's, PIP_INDEX_URL)."""
    gateway_token: SecretStr | None = None
    """When set, every request but /health needs header X-KubeServe-Token with this value."""
    log_level: str = "info"
    """Log level of the server and the start-up steps."""
