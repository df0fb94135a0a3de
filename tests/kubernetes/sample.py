"""One deployment as the Kubernetes runtime receives it, for the tests that build its objects
(the golden files in tests/runtime/kubernetes/golden are made from it)."""

from __future__ import annotations

from kubeserve.runtime.base import DeploymentSpec
from kubeserve.runtime.kubernetes import objects

SPEC = DeploymentSpec(
    name="iris-a1b2c3d4e5",
    owner_id=7,
    model_name="iris",
    version_id=3,
    version_tag="v2",
    release=4,
    artifact_uri="s3://models/models/7/iris/v2/model.joblib",
    requirements_uri="s3://models/models/7/iris/v2/requirements.txt",
    sha256="ab" * 32,
    replicas=2,
)
URLS = objects.ArtifactUrls(
    "https://s3.example/models/7/iris/v2/model.joblib?X-Amz-Signature=sig1",
    "https://s3.example/models/7/iris/v2/requirements.txt?X-Amz-Signature=sig2",
    "token-0123",
)
