"""The client's TypedDicts copy the server's response models (the client must not import the
server): each one must name exactly the fields the OpenAPI document gives its response."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from kubeserve.app import create_app
from kubeserve.client import types
from kubeserve.config import Settings

# client TypedDict -> the OpenAPI component(s) it stands for (ApiKey is both answers, total=False)
COMPONENTS = {
    "User": ["UserRead"],
    "Token": ["Token"],
    "ApiKey": ["ApiKeyRead", "ApiKeyCreated"],
    "Model": ["ModelRead"],
    "Version": ["VersionRead"],
    "Deployment": ["DeploymentRead"],
    "Release": ["ReleaseRead"],
    "RequestLogEntry": ["RequestLogEntry"],
    "Stats": ["StatsRead"],
    "AdminUser": ["AdminUserRead"],
    "Quota": ["QuotaRead"],
    "QuotaSet": ["QuotaSet"],
    "Usage": ["UsageRead"],
}


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    data_dir: Path = tmp_path_factory.mktemp("data")
    app = create_app(Settings(data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    return app.openapi()["components"]["schemas"]


def test_every_answer_type_is_listed() -> None:
    typed = {n for n, v in vars(types).items() if typing.is_typeddict(v)}
    assert typed - set(COMPONENTS) == {"RequestLogPage"}  # a view of LogsRead, checked below


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_client_type_names_the_servers_fields(name: str, schemas: dict[str, dict]) -> None:
    server = set().union(*(schemas[c]["properties"] for c in COMPONENTS[name]))
    assert set(typing.get_type_hints(getattr(types, name))) == server


def test_request_log_page_is_logs_read_with_requests(schemas: dict[str, dict]) -> None:
    fields = set(typing.get_type_hints(types.RequestLogPage))
    assert fields == {"requests", "cursor"} and fields <= set(schemas["LogsRead"]["properties"])
