"""The steps `push`, `deploy` and `rollback` share: upload, build, deploy, wait, show the URL."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from kubeserve.cli.common import DEFAULT_URL, err, note, say
from kubeserve.cli.resolve import model_deployments
from kubeserve.client import Client, Deployment, Model, Version


def upload(
    client: Client, version: Version, model_file: Path, requirements: Path | None, code: Path | None = None
) -> None:
    """Stream the files with a progress bar (on stderr)."""
    columns = (
        TextColumn("Uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task(model_file.name, total=None)
        client.upload(
            version["id"],
            model_file,
            requirements,
            progress=lambda sent, total: bar.update(task, completed=sent, total=total),
            code_file=code,
        )


def build(client: Client, model: Model, version: Version, timeout: float) -> Version:
    """Wait with a spinner until the version is Ready (`BuildFailed` carries the reason)."""
    with err.status(
        f"Building {model['name']} {version['version_tag']} (install requirements, load, test a prediction)"
    ):
        ready = client.wait_for_version(version["id"], timeout=timeout)
    signature = ready.get("signature") or {}
    what = signature.get("estimator", "model").rsplit(".", 1)[-1]
    note(f"Built {model['name']} {ready['version_tag']}: {what}")
    return ready


def deploy(
    client: Client, model: Model, version: Version, replicas: int | None, public: bool | None
) -> Deployment:
    """Roll the model's newest deployment forward to `version`, or create one."""
    existing = model_deployments(client, model["id"])
    if existing:
        target = existing[0]
        note(f"Rolling {target['name']} forward from {target['version_tag']} to {version['version_tag']}")
        return client.update_deployment(
            target["id"], version_id=version["id"], replicas=replicas, public=public
        )
    note(f"Deploying {model['name']} {version['version_tag']}")
    return client.create_deployment(version["id"], replicas or 1, public=bool(public))


def wait_live(client: Client, deployment: Deployment, timeout: float) -> Deployment:
    """Wait with a spinner until the deployment's current release serves traffic."""
    with err.status(
        f"Starting {deployment['name']} release {deployment['release']} ({deployment['version_tag']})"
    ):
        return client.wait_for_deployment(deployment["id"], timeout=timeout, release=deployment["release"])


def sample_body(version: Version | None) -> dict[str, Any]:
    """A body to try the model with, from the build's sample input: `{"data": [[...]]}`, or
    for a DataFrame model (named columns) `{"columns": [...], "data": [[...]]}`."""
    signature = (version["signature"] if version else None) or {}
    sample = signature.get("sample_input")
    if isinstance(sample, list) and sample and isinstance(sample[0], list):
        rows = sample[:1]
    else:
        features = signature.get("n_features_in") or 1
        rows = [[0.0] * int(features)]
    columns = signature.get("columns")
    if isinstance(columns, list) and columns and len(columns) == len(rows[0]):
        return {"columns": [c["name"] for c in columns], "data": rows}
    return {"data": rows}


def curl_line(client: Client, deployment: Deployment, body: dict[str, Any]) -> str:
    """A ready-to-paste curl command; the token comes from `kubeserve token`, never printed."""
    parts = ["curl", "-s", "-X", "POST", deployment["url"], "-H", "'content-type: application/json'"]
    if not deployment["public"]:
        url_flag = "" if client.url == DEFAULT_URL else f" --url {shlex.quote(client.url)}"
        parts += ["-H", f'"Authorization: Bearer $(kubeserve token{url_flag})"']
    parts += ["-d", shlex.quote(json.dumps(body))]
    return " ".join(parts)


def show_live(client: Client, deployment: Deployment, version: Version | None) -> None:
    """The final lines: what is live, where, and how to call it."""
    ready = f"{deployment['ready_replicas']}/{deployment['desired_replicas']} replicas ready"
    say(
        f"{deployment['model_name']} {deployment['version_tag']} is live "
        f"(release {deployment['release']}, {ready})"
    )
    say(f"URL: {deployment['url']}")
    say("Try it:")
    body = sample_body(version)
    say("  " + curl_line(client, deployment, body))
    url_flag = "" if client.url == DEFAULT_URL else f" --url {shlex.quote(client.url)}"
    say(f"  kubeserve predict {deployment['model_name']}{url_flag} --data {shlex.quote(json.dumps(body))}")
