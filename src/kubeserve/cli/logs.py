"""`logs NAME_OR_ID [--tail N] [--follow]`: what a deployment's replicas print, and its requests."""

from __future__ import annotations

import json
import re
import time
from typing import Annotated

import typer

from kubeserve.cli import resolve
from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, print_json
from kubeserve.client import Client, RequestLogEntry

FOLLOW_WINDOW = 500  # lines per replica fetched per poll when following
SOURCE = re.compile(r"\[[^\]]+\] ")
FOLLOW_INTERVAL = 1.0
FOLLOW_HELP = "Keep printing new lines until Ctrl-C."


def _after_overlap(seen: list[str], current: list[str]) -> list[str]:
    """The lines of `current` after its longest overlap with the end of `seen`."""
    for overlap in range(min(len(seen), len(current)), 0, -1):
        if seen[-overlap:] == current[:overlap]:
            return current[overlap:]
    return current


def _by_source(lines: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for line in lines:
        match = SOURCE.match(line)
        groups.setdefault(match.group(0) if match else "", []).append(line)
    return groups


def new_lines(seen: list[str], current: list[str]) -> list[str]:
    """What `current` adds to `seen`, two windows of the same log.

    The API returns the last N lines of each replica (`[replica] line`), not a cursor, so
    following means diffing each replica's window with the one before.
    """
    before = _by_source(seen)
    return [
        line
        for source, lines in _by_source(current).items()
        for line in _after_overlap(before.get(source, []), lines)
    ]


def request_line(entry: RequestLogEntry) -> str:
    """One prediction request as a JSON line (what the control plane stores)."""
    return json.dumps({k: v for k, v in entry.items() if k != "cursor"}, separators=(",", ":"))


def _follow(client: Client, deployment_id: int, seen: list[str], cursor: int) -> None:
    """Print replica lines and requests as they come: replica windows are diffed, requests
    are fetched after the last cursor (the server keeps it)."""
    try:
        while True:
            time.sleep(FOLLOW_INTERVAL)
            current = client.logs(deployment_id, tail=FOLLOW_WINDOW)
            for line in new_lines(seen, current):
                typer.echo(line)
            seen = current
            page = client.request_logs(deployment_id, tail=FOLLOW_WINDOW, since=cursor)
            for entry in page["requests"]:
                typer.echo(request_line(entry))
            cursor = page["cursor"]
    except KeyboardInterrupt:  # Ctrl-C is how one stops following: not an error
        return


def logs(
    ref: Annotated[
        str, typer.Argument(metavar="NAME_OR_ID", help="Deployment id, deployment name, or model name.")
    ],
    tail: Annotated[int, typer.Option(min=1, max=5000, help="How many recent lines.")] = 100,
    follow: Annotated[bool, typer.Option("--follow", "-f", help=FOLLOW_HELP)] = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Recent log lines of a deployment's replicas, then its recent prediction requests (one
    JSON line each)."""
    client = connect(url)
    deployment = resolve.deployment(client, ref)
    lines = client.logs(deployment["id"], tail=tail)
    page = client.request_logs(deployment["id"], tail=tail)
    if as_json and not follow:
        print_json({"deployment": deployment["name"], "lines": lines, "requests": page["requests"]})
        return
    for line in lines:
        typer.echo(line)
    for entry in page["requests"]:
        typer.echo(request_line(entry))
    if follow:
        _follow(client, deployment["id"], client.logs(deployment["id"], tail=FOLLOW_WINDOW), page["cursor"])


COMMANDS = [logs]
