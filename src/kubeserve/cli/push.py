"""`push` (a model file to a live URL in one step) and `deploy` (an existing version)."""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from kubeserve.cli import resolve, rollout
from kubeserve.cli.code import bundle
from kubeserve.cli.common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    connect,
    note,
    print_json,
    say,
)
from kubeserve.cli.errors import CliError
from kubeserve.client import Client, KubeServeError, Model, Version

ExistingFile = typer.Argument(metavar="MODEL_FILE", exists=True, dir_okay=False, readable=True)
Replicas = Annotated[
    int | None,
    typer.Option(min=1, help="Replicas (default 1 for a new deployment, unchanged on roll forward)."),
]
Public = Annotated[
    bool | None,
    typer.Option("--public/--private", help="Anyone may predict without a token (default private)."),
]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the build and for the rollout.")]


def next_tag(versions: list[Version]) -> str:
    """v1, v2, ...: one more than the highest `vN` tag so far."""
    matches = (re.fullmatch(r"v(\d+)", v["version_tag"]) for v in versions)
    numbers = [int(m.group(1)) for m in matches if m]
    return f"v{max(numbers, default=0) + 1}"


def _new_version(
    client: Client,
    model: Model,
    tag: str | None,
    model_file: Path,
    requirements: Path | None,
    code: list[Path],
    created: bool,
) -> Version:
    """Create and upload the version; if the upload is refused, leave nothing empty behind
    (not the version, which would burn the tag, nor a model this push created)."""
    try:
        version = client.create_version(model["id"], tag or next_tag(client.list_versions(model["id"])))
    except (KubeServeError, KeyboardInterrupt):
        if created:
            with contextlib.suppress(KubeServeError):
                client.delete_model(model["id"])
        raise
    try:
        with tempfile.TemporaryDirectory(prefix="kubeserve-code-") as tmp:
            shipped = bundle(code, Path(tmp)) if code else None
            rollout.upload(client, version, model_file, requirements, shipped)
    except (KubeServeError, CliError, KeyboardInterrupt):
        with contextlib.suppress(KubeServeError):
            if created:
                client.delete_model(model["id"])
            else:
                client.delete_version(version["id"])
        raise
    return version


def push(
    model_file: Annotated[Path, ExistingFile],
    name: Annotated[str, typer.Option(help="Model name: lowercase letters, digits, '-'.")],
    requirements: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="requirements.txt the model needs.")
    ] = None,
    code: Annotated[
        list[Path] | None,
        typer.Option(
            exists=True,
            help="Your own Python code the model needs (e.g. a class pickled from a notebook): "
            ".py files, package directories or one .zip/.tar.gz; repeat for several.",
        ),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Version tag (default: next vN).")] = None,
    no_deploy: Annotated[bool, typer.Option("--no-deploy", help="Stop once built.")] = False,
    replicas: Replicas = None,
    public: Public = None,
    timeout: Timeout = 600,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Upload a model file, build it, and deploy it (or roll its deployment forward)."""
    client = connect(url)
    model = client.find_model(name)
    created = model is None
    if model is None:
        model = client.create_model(name)
        note(f"Created model {name}")
    version = _new_version(client, model, tag, model_file, requirements, code or [], created)
    version = rollout.build(client, model, version, timeout)
    if no_deploy:
        if as_json:
            print_json({"model": model, "version": version, "deployment": None})
        else:
            say(f"{name} {version['version_tag']} is Ready (not deployed)")
        return
    _deploy_and_show(client, model, version, replicas, public, timeout, as_json)


def deploy(
    name: Annotated[str, typer.Argument(help="Model name.")],
    tag: Annotated[str | None, typer.Option(help="Version tag (default: newest Ready).")] = None,
    replicas: Replicas = None,
    public: Public = None,
    timeout: Timeout = 600,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Deploy a built version of a model (or roll its deployment forward to it)."""
    client = connect(url)
    model = resolve.model(client, name)
    ready = [
        v
        for v in client.list_versions(model["id"])
        if v["status"] == "Ready" and (tag is None or v["version_tag"] == tag)
    ]
    if not ready:
        raise CliError(f"{name} has no Ready version{f' {tag}' if tag else ''}")
    version = max(ready, key=lambda v: v["id"])
    _deploy_and_show(client, model, version, replicas, public, timeout, as_json)


def _deploy_and_show(
    client: Client,
    model: Model,
    version: Version,
    replicas: int | None,
    public: bool | None,
    timeout: float,
    as_json: bool,
) -> None:
    deployment = rollout.deploy(client, model, version, replicas, public)
    deployment = rollout.wait_live(client, deployment, timeout)
    if as_json:
        print_json({"model": model, "version": version, "deployment": deployment})
    else:
        rollout.show_live(client, deployment, version)


COMMANDS = [push, deploy]
