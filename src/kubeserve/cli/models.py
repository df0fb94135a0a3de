"""`models` and `versions NAME`: what you have uploaded."""

from __future__ import annotations

from typing import Annotated

import typer

from kubeserve.cli import resolve
from kubeserve.cli.common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    connect,
    print_json,
    print_table,
    size,
    when,
)


def models(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Your models, with what each one serves."""
    client = connect(url)
    found = client.list_models()
    if as_json:
        print_json(found)
        return
    serving: dict[int, list[str]] = {}
    for d in client.list_deployments():
        serving.setdefault(d["model_id"], []).append(f"{d['version_tag']} {d['status']}")
    rows = (
        (m["id"], m["name"], m["type"], ", ".join(serving.get(m["id"], [])) or "-", when(m["created_at"]))
        for m in found
    )
    print_table(
        ("ID", "NAME", "TYPE", "DEPLOYED", "CREATED"),
        rows,
        "No models yet: `kubeserve push model.joblib --name NAME`",
    )


def versions(
    name: Annotated[str, typer.Argument(help="Model name.")],
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """A model's versions: build status, size, checksum, and why a build failed."""
    client = connect(url)
    found = client.list_versions(resolve.model(client, name)["id"])
    if as_json:
        print_json(found)
        return
    rows = (
        (
            v["id"],
            v["version_tag"],
            v["status"],
            size(v["size_bytes"]),
            (v["sha256"] or "")[:12],
            when(v["created_at"]),
            v["error"] or "",
        )
        for v in found
    )
    print_table(
        ("ID", "TAG", "STATUS", "SIZE", "SHA256", "CREATED", "ERROR"), rows, f"{name} has no versions yet"
    )


COMMANDS = [models, versions]
