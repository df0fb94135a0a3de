"""Local replicas read local files: artifacts from a remote store are cached on this disk first.

So a local replica never needs storage credentials; the cache is per version (immutable).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kubeserve.config import Settings
from kubeserve.runtime.base import DeploymentSpec
from kubeserve.storage import ArtifactStore, parse_uri


async def localized(spec: DeploymentSpec, settings: Settings, store: ArtifactStore | None) -> DeploymentSpec:
    """`spec` with file:// URIs, fetching remote artifacts into the cache when missing."""
    if spec.artifact_uri.startswith("file://"):
        return spec
    if store is None:
        raise ValueError(f"no artifact store to fetch {spec.artifact_uri}")
    _, key = parse_uri(spec.artifact_uri)
    _, req_key = parse_uri(spec.requirements_uri)
    cache = (settings.data_dir / "artifact-cache" / str(spec.version_id)).resolve()
    model_path, req_path = cache / Path(key).name, cache / "requirements.txt"
    code_path = cache / "code.zip" if spec.code_uri else None
    if not model_path.exists():  # the model last: its presence means all are complete
        cache.mkdir(parents=True, exist_ok=True)
        await store.fetch_to(req_key, req_path)
        if spec.code_uri and code_path:
            await store.fetch_to(parse_uri(spec.code_uri)[1], code_path)
        await store.fetch_to(key, model_path)
    code_uri = f"file://{code_path}" if code_path else None
    return replace(
        spec, artifact_uri=f"file://{model_path}", requirements_uri=f"file://{req_path}", code_uri=code_uri
    )
