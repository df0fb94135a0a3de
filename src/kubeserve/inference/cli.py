"""`kubeserve serve-model` (and `python -m kubeserve.inference`): serve one model over HTTP.

Every flag falls back to its `KUBESERVE_MODEL_*` variable (see ModelServerSettings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Opt = typer.Option


def serve_model(
    artifact: Annotated[str | None, Opt(help="Model file: path, file:// or s3:// URI.")] = None,
    requirements: Annotated[str | None, Opt(help="requirements.txt (path or URI).")] = None,
    sha256: Annotated[str | None, Opt(help="Expected sha256 of the artifact.")] = None,
    code: Annotated[str | None, Opt(help="Shipped code: a code.zip (path or URI).")] = None,
    name: Annotated[str | None, Opt(help="Model name (V2 path); default model.")] = None,
    version: Annotated[str | None, Opt(help="Model version (V2 model_version); default 1.")] = None,
    host: Annotated[str | None, Opt(help="Bind address; default 127.0.0.1.")] = None,
    port: Annotated[int | None, Opt(help="Port; default 8080.")] = None,
    workers: Annotated[int | None, Opt(help="Worker processes; default 1.")] = None,
    max_batch_size: Annotated[int | None, Opt(help="Rows per predict call; default 64.")] = None,
    max_batch_wait_ms: Annotated[float | None, Opt(help="Batching wait; default 2.")] = None,
    max_body_bytes: Annotated[int | None, Opt(help="Largest request body; default 10 MiB.")] = None,
    packages_dir: Annotated[Path | None, Opt(help="Private directory for pip installs.")] = None,
    work_dir: Annotated[Path | None, Opt(help="Where fetched artifacts go.")] = None,
    pip_index_url: Annotated[str | None, Opt(help="Package index for installs.")] = None,
    gateway_token: Annotated[str | None, Opt(help="Require header X-KubeServe-Token.")] = None,
    log_level: Annotated[str | None, Opt(help="Log level; default info.")] = None,
) -> None:
    """Serve one model: fetch, verify, install requirements, load, then /predict and V2."""
    given = {k: v for k, v in locals().items() if v is not None}  # the flags, before any import
    from pydantic import ValidationError

    from kubeserve.inference.settings import ModelServerSettings

    try:
        settings = ModelServerSettings(**given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: invalid settings: {problems} (flags or KUBESERVE_MODEL_*)", err=True)
        raise typer.Exit(2) from None
    from kubeserve.inference.server import serve

    status = serve(settings)
    if status:
        raise typer.Exit(status)
