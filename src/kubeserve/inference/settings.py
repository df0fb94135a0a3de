"""Model server settings: command-line flags, or `KUBESERVE_MODEL_*` environment variables.

The model server never reads the control plane's `Settings`: its image holds only serving
dependencies, and a replica sees only what it needs (no database, no signing key).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModelServerSettings(BaseSettings):
    """Every knob of one model-server replica; one line of doc per field."""

    model_config = SettingsConfigDict(
        env_prefix="KUBESERVE_MODEL_", extra="ignore", use_attribute_docstrings=True
    )

    artifact: str
    """The model file: a path, file://, s3://bucket/key or an http(s) (presigned) URL."""
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
    fd: int | None = None
    """Serve on this inherited, listening Unix socket instead of host:port (sandboxed local
    replicas have no network; the runtime binds it outside their box)."""
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
    install: bool = True
    """Install what the requirements add at start; false: use packages_dir as the build left it."""
    stuck_after_seconds: float | None = Field(default=None, gt=0)
    """A prediction running longer than this makes /ready fail, so a supervisor restarts it."""
    gateway_token: SecretStr | None = None
    """When set, every request but /health needs header X-KubeServe-Token with this value."""
    metrics_token: SecretStr | None = None
    """When set, GET /metrics also accepts `Authorization: Bearer` with this value (Prometheus)."""
    log_level: str = "info"
    """Log level of the server and the start-up steps."""
    s3_endpoint: str = "127.0.0.1:9000"
    """host:port of the S3-compatible server, for s3:// artifacts."""
    s3_access_key: str = ""
    """S3 access key, for s3:// artifacts (pods get presigned URLs instead)."""
    s3_secret_key: SecretStr = SecretStr("")
    """S3 secret key, for s3:// artifacts."""
    s3_secure: bool = True
    """Use HTTPS to reach the S3 endpoint."""
    s3_region: str = "us-east-1"
    """S3 region."""
