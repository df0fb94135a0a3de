"""Control-plane settings, read from `KUBESERVE_*` environment variables."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"
SCRAPE_TOKEN_FILE = "scrape_token"


class Settings(BaseSettings):
    """Every knob of the control plane; one line of doc per field."""

    model_config = SettingsConfigDict(env_prefix="KUBESERVE_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    """`production` refuses unsafe values (generated secret key, SQLite)."""
    host: str = "127.0.0.1"
    """Address `kubeserve server` binds to."""
    port: int = 8000
    """Port `kubeserve server` listens on."""
    public_url: str | None = None
    """Base URL users reach the control plane at; default http://{host}:{port}."""
    data_dir: Path = Path(".kubeserve")
    """Where the embedded defaults live: SQLite file, local artifacts, secret key, replica logs."""
    database_url: str | None = None
    """SQLAlchemy URL; default SQLite under data_dir. postgres:// URLs get the asyncpg driver."""
    storage: Literal["local", "s3"] = "local"
    """Artifact store backend."""
    s3_endpoint: str = "127.0.0.1:9000"
    """host:port of the S3-compatible server (MinIO, AWS: s3.amazonaws.com)."""
    s3_access_key: str = ""
    """S3 access key."""
    s3_secret_key: SecretStr = SecretStr("")
    """S3 secret key."""
    s3_bucket: str = "models"
    """Bucket holding every artifact; created when missing."""
    s3_secure: bool = True
    """Use HTTPS to reach the S3 endpoint."""
    s3_region: str = "us-east-1"
    """S3 region."""
    secret_key: SecretStr | None = None
    """JWT signing key; when unset, generated once and kept in data_dir with mode 0600."""
    access_token_minutes: int = Field(default=60, gt=0)
    """Lifetime of an access token."""
    max_model_size_mb: int = Field(default=500, gt=0)
    """Largest model file accepted by an upload."""
    max_requirements_size_kb: int = Field(default=1024, gt=0)
    """Largest requirements.txt accepted by an upload."""
    max_code_size_mb: int = Field(default=10, gt=0)
    """Largest shipped code (code_file: .py, .zip or .tar.gz), uploaded and unpacked."""
    login_max_failures: int = Field(default=5, gt=0)
    """Failed logins for one email from one client address before back-off starts (429)."""
    login_back_off_seconds: float = Field(default=2, gt=0)
    """First back-off after login_max_failures; doubles with each further failure."""
    login_back_off_max_seconds: float = Field(default=3600, gt=0)
    """Longest back-off for one email from one client address."""
    login_address_max_failures: int = Field(default=50, gt=0)
    """Failed logins from one client address (any emails) per hour before all its logins get 429."""
    forwarded_allow_ips: str = ""
    """Proxies (comma-separated IPs/CIDRs) whose X-Forwarded-For names the client; empty: the TCP peer."""
    header_timeout_seconds: float = Field(default=10, gt=0)
    """Seconds a client may take to send a request's headers, or pause in its body, before it is cut off."""
    slow_connections_per_address: int = Field(default=32, gt=0)
    """Connections one client address may hold while their requests arrive; one more closes its oldest."""
    password_hash_workers: int = Field(default=1, gt=0)
    """Password hashes (argon2) computed at once, in threads off the event loop."""
    password_hash_queue: int = Field(default=32, ge=0)
    """Logins waiting for a hashing thread beyond which more get 503 at once."""
    max_request_body_kb: int = Field(default=1024, gt=0)
    """Largest body of a JSON request (uploads and predictions have their own limits); 413 beyond."""
    build_timeout_seconds: int = Field(default=300, gt=0)
    """Longest a build (install requirements, load, check) may run."""
    build_memory_mb: int = Field(default=2048, gt=0)
    """Memory limit of a build (address space for local children, request = limit for pods)."""
    build_cpu: str = "1"
    """CPU of a build pod, request = limit (Kubernetes runtime)."""
    pip_index_url: str | None = None
    """Package index for builds and replicas (pip's PIP_INDEX_URL); default pip's own."""
    runtime: Literal["local", "kubernetes"] = "local"
    """Where replicas run: child processes on this machine, or pods in a Kubernetes cluster."""
    replica_memory_mb: int = Field(default=1024, gt=0)
    """Memory limit of one replica (address space for local processes, request = limit for pods)."""
    replica_cpu: str = "500m"
    """CPU limit of one pod (Kubernetes runtime)."""
    replica_cpu_request: str = "250m"
    """CPU request of one pod (Kubernetes runtime)."""
    kubeconfig: Path | None = None
    """Kubeconfig file of the Kubernetes runtime; unset: the pod's in-cluster service account."""
    kubernetes_image: str = "kubeserve/base:0.1.0"
    """Model-server image every replica pod runs."""
    kubernetes_platform_namespace: str = "kubeserve"
    """Namespace of the control plane (the gateway), the artifact store and the package proxy."""
    kubernetes_monitoring_namespace: str | None = "monitoring"
    """Namespace whose Prometheus may scrape replicas; unset: none."""
    kubernetes_egress_cidrs: list[str] = []
    """Extra egress for replicas on TCP 443 (an external S3 or package index), as CIDRs."""
    kubernetes_quota_cpu: str = "2"
    """Default ResourceQuota of a tenant: CPU (requests and limits)."""
    kubernetes_quota_memory: str = "4Gi"
    """Default ResourceQuota of a tenant: memory (requests and limits)."""
    kubernetes_quota_pods: int = Field(default=5, gt=0)
    """Default ResourceQuota of a tenant: pods."""
    kubernetes_progress_deadline_seconds: int = Field(default=600, gt=0)
    """A rollout not progressing for this long has failed (the previous release keeps serving)."""
    kubernetes_hpa_cpu_percent: int = Field(default=70, gt=0, le=100)
    """HorizontalPodAutoscaler target: average CPU utilization of the requests."""
    resync_seconds: float = Field(default=300, gt=0)
    """How often the leading control plane re-applies every deployment (drift; Kubernetes: URLs)."""
    kubernetes_lease_seconds: float = Field(default=15, gt=0)
    """Leader lease duration; one control plane reconciles, the others take over after this."""
    replica_start_timeout_seconds: float = Field(default=60, gt=0)
    """A replica not ready after this long counts as a failed start."""
    replica_max_restarts: int = Field(default=5, ge=0)
    """Consecutive crashes after which a deployment is Failed instead of restarted again."""
    warm_pool_size: int = Field(default=1, ge=0)
    """Pre-started interpreters with the inference stack imported, handed to new replicas."""
    autoscale_interval_seconds: float = Field(default=1.0, gt=0)
    """How often the local autoscaler samples requests in flight."""
    scale_down_stabilization_seconds: float = Field(default=30, ge=0)
    """Scale down only to the highest recommendation seen over this window (no flapping)."""
    sandbox: Literal["auto", "off"] = "auto"
    """`auto`: user code (builds, replicas) runs in a bubblewrap sandbox wherever one can run."""
    allow_unsandboxed_multi_user: bool = False
    """Without a sandbox, accept several accounts anyway (each could read the others' data)."""
    sandbox_max_processes: int = Field(default=128, gt=0)
    """Processes and threads one sandbox may hold (pids cgroup, where cgroups are writable)."""
    sandbox_cpus: float = Field(default=1.0, gt=0)
    """CPUs one sandbox may use (cpu cgroup quota, where cgroups are writable)."""
    dashboard_dir: Path | None = None
    """The built web dashboard (`next build` output); default frontend/out beside the source."""
    gateway_timeout_seconds: float = Field(default=30, gt=0)
    """Longest the gateway waits for a replica's answer."""
    scale_to_zero_after_seconds: float = Field(default=300, ge=0)
    """With autoscaling.min 0, a deployment without requests this long drops to zero replicas."""
    wake_timeout_seconds: float = Field(default=30, gt=0)
    """Longest a request waits for a deployment scaled to zero to start a replica (then 503)."""
    stats_interval_seconds: float = Field(default=5, gt=0)
    """How often the control plane reads its replicas' metrics for the stats endpoint."""
    stats_retention_seconds: float = Field(default=3600, gt=0)
    """How much of those samples is kept in memory: the longest stats window."""
    request_log: bool = True
    """Write one line per prediction to the deployment's request log (never the payload)."""
    request_log_max_mb: float = Field(default=10, gt=0)
    """A deployment's request log file is rotated at this size (one older file kept)."""
    scrape_token: SecretStr | None = None
    """Bearer token Prometheus sends for /metrics and discovery; when unset, generated into data_dir."""

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        weak_key = self.secret_key is None or len(self.secret_key.get_secret_value()) < 32
        if self.environment == "production" and weak_key:
            raise ValueError("KUBESERVE_SECRET_KEY (32+ chars) is required in production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with an async driver."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir.resolve()}/kubeserve.db"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def dashboard_out(self) -> Path:
        return self.dashboard_dir or Path(__file__).resolve().parents[2] / "frontend" / "out"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def max_model_bytes(self) -> int:
        return self.max_model_size_mb * 1024 * 1024

    @property
    def max_requirements_bytes(self) -> int:
        return self.max_requirements_size_kb * 1024

    @property
    def max_code_bytes(self) -> int:
        return self.max_code_size_mb * 1024 * 1024

    @cached_property
    def jwt_key(self) -> str:
        """The signing key: configured, or generated once into data_dir (mode 0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return self._generated_secret(SECRET_KEY_FILE)

    @cached_property
    def metrics_token(self) -> str:
        """The scrape token: configured, or generated once into data_dir (mode 0600)."""
        if self.scrape_token is not None:
            return self.scrape_token.get_secret_value()
        return self._generated_secret(SCRAPE_TOKEN_FILE)

    def _generated_secret(self, name: str) -> str:
        path = self.data_dir / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
