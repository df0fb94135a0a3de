"""What every command shares: the `--url`/`--json` options, a logged-in client, output."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kubeserve.cli.config import Login, load_login
from kubeserve.cli.errors import CliError
from kubeserve.client import DEFAULT_URL as DEFAULT_URL  # one default, the SDK's
from kubeserve.client import Client

UrlOption = Annotated[
    str, typer.Option("--url", envvar="KUBESERVE_URL", help="The control plane.", show_envvar=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

out = Console(highlight=False)
"""Results, on stdout."""
err = Console(stderr=True, highlight=False)
"""Progress and notes, on stderr, so stdout stays clean for pipes."""


def connect(url: str, *, login: bool = True) -> Client:
    """A client for `url`, carrying the token saved by `kubeserve login` when `login`."""
    client = Client(url)
    if login:
        client.token = saved_login(client.url).token
    return client


def saved_login(url: str) -> Login:
    """The login `kubeserve login` saved for `url`; a `CliError` when there is none."""
    saved = load_login(url)
    if saved is None:
        raise CliError(f"not logged in to {url}: run `kubeserve login`")
    return saved


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colours, no wrapping), one document per command."""
    typer.echo(json.dumps(data, indent=2))


def print_table(columns: Sequence[str], rows: Iterable[Sequence[object]], empty: str) -> None:
    """A table on stdout, or the `empty` note on stderr when there are no rows."""
    rows = list(rows)
    if not rows:
        err.print(empty)
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")  # never "…": ids and URLs must stay whole
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    # a terminal folds long cells; a pipe gets whole rows (scripts grep them)
    (out if out.is_terminal else Console(width=10_000, highlight=False)).print(table)


def say(message: str) -> None:
    """A result line on stdout, never wrapped (URLs and commands stay copy-pastable)."""
    out.print(message, soft_wrap=True, markup=False)


def note(message: str) -> None:
    """A progress line on stderr."""
    err.print(message, soft_wrap=True, markup=False)


def when(timestamp: str | None) -> str:
    """`2024-05-01T12:34:56.789+00:00` as `2024-05-01 12:34`."""
    return (timestamp or "")[:16].replace("T", " ")


def size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
