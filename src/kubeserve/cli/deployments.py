"""`deployments`, `scale`, `rollback`, `releases`, `delete`: running models."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kubeserve.cli import resolve, rollout
from kubeserve.cli.common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    YesOption,
    connect,
    print_json,
    print_table,
    say,
    when,
)
from kubeserve.cli.errors import CliError
from kubeserve.client import Client

Ref = Annotated[
    str, typer.Argument(metavar="NAME_OR_ID", help="Deployment id, deployment name, or model name.")
]


def deployments(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Your deployments and their URLs."""
    found = connect(url).list_deployments()
    if as_json:
        print_json(found)
        return
    rows = (
        (
            d["id"],
            d["name"],
            d["model_name"],
            d["version_tag"],
            d["release"],
            d["status"],
            f"{d['ready_replicas']}/{d['desired_replicas']}",
            d["url"],
        )
        for d in found
    )
    print_table(
        ("ID", "NAME", "MODEL", "VERSION", "RELEASE", "STATUS", "READY", "URL"),
        rows,
        "No deployments yet: `kubeserve push model.joblib --name NAME`",
    )


def scale(ref: Ref, replicas: Annotated[int, typer.Argument(min=0)], url: UrlOption = DEFAULT_URL) -> None:
    """Run N replicas of a deployment; 0 parks it (its URL answers 503 until scaled up)."""
    client = connect(url)
    deployment = client.update_deployment(resolve.deployment(client, ref)["id"], replicas=replicas)
    if replicas == 0:
        say(
            f"Parked {deployment['name']}: no replica runs "
            f"(`kubeserve scale {deployment['name']} 1` serves again)"
        )
        return
    say(
        f"Scaled {deployment['name']} to {replicas} replica{'s' if replicas > 1 else ''} "
        f"({deployment['ready_replicas']} ready now)"
    )


def rollback(ref: Ref, timeout: float = 300, url: UrlOption = DEFAULT_URL) -> None:
    """Serve the previous good release again (as a new release)."""
    client = connect(url)
    deployment = client.rollback(resolve.deployment(client, ref)["id"])
    deployment = rollout.wait_live(client, deployment, timeout)
    say(f"Rolled {deployment['name']} back to {deployment['version_tag']} (release {deployment['release']})")


def releases(ref: Ref, url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """A deployment's release history, newest first."""
    client = connect(url)
    deployment = resolve.deployment(client, ref)
    tags = {v["id"]: v["version_tag"] for v in client.list_versions(deployment["model_id"])}
    found: list[dict[str, Any]] = [
        {**r, "version_tag": tags.get(r["version_id"])} for r in client.list_releases(deployment["id"])
    ]
    if as_json:
        print_json(found)
        return
    rows = (
        (r["revision"], r["version_tag"], r["status"], r["reason"] or "", when(r["created_at"]))
        for r in found
    )
    print_table(("RELEASE", "VERSION", "STATUS", "REASON", "CREATED"), rows, "No releases")


def delete(
    ref: Annotated[
        str | None, typer.Argument(metavar="[NAME_OR_ID]", help="The deployment to stop and remove.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Delete this model instead: its deployments, versions and files."),
    ] = None,
    yes: YesOption = False,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Delete a deployment, or with --model a whole model."""
    if (ref is None) == (model is None):
        raise CliError("name a deployment, or a model with --model NAME (not both)")
    client = connect(url)
    if model is not None:
        _delete_model(client, model, yes)
        return
    assert ref is not None
    deployment = resolve.deployment(client, ref)
    if not yes:
        typer.confirm(f"Delete deployment {deployment['name']} ({deployment['url']})?", abort=True)
    client.delete_deployment(deployment["id"])
    say(f"Deleted deployment {deployment['name']}")


def _delete_model(client: Client, name: str, yes: bool) -> None:
    found = resolve.model(client, name)
    serving = resolve.model_deployments(client, found["id"])
    versions = client.list_versions(found["id"])
    if not yes:
        typer.confirm(
            f"Delete model {name} with {len(versions)} version(s) and {len(serving)} deployment(s)?",
            abort=True,
        )
    for deployment in serving:  # stop replicas through the API before their rows go away
        client.delete_deployment(deployment["id"])
    client.delete_model(found["id"])
    say(f"Deleted model {name}")


COMMANDS = [deployments, scale, rollback, releases, delete]
