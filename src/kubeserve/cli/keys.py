"""`keys create|list|revoke`: API keys for calling your deployments from other programs."""

from __future__ import annotations

from typing import Annotated

import typer

from kubeserve.cli.common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    connect,
    err,
    print_json,
    print_table,
    say,
    when,
)
from kubeserve.cli.errors import CliError

app = typer.Typer(help="API keys for predictions (X-API-Key or Authorization: Bearer).", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'ci'.")],
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Create a key. It is shown once: store it now."""
    key = connect(url).create_api_key(name)
    if as_json:
        print_json(key)
        return
    say(key["key"])
    err.print(f"API key {name!r} (id {key['id']}): shown only now, store it safely.", markup=False)


@app.command("list")
def list_keys(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Your keys, by name and prefix (never the secret)."""
    found = connect(url).list_api_keys()
    if as_json:
        print_json(found)
        return
    rows = (
        (k["id"], k["name"], f"{k['prefix']}…", when(k["created_at"]), when(k.get("last_used_at")) or "never")
        for k in found
    )
    print_table(
        ("ID", "NAME", "PREFIX", "CREATED", "LAST USED"), rows, "No API keys: `kubeserve keys create NAME`"
    )


@app.command()
def revoke(
    key: Annotated[str, typer.Argument(metavar="ID_OR_NAME", help="The key's id, name or prefix.")],
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Revoke a key; it stops working at once."""
    client = connect(url)
    found = client.list_api_keys()
    matches = [k for k in found if key in (str(k["id"]), k["name"], k["prefix"])]
    if len(matches) != 1:
        problem = "no API key" if not matches else f"{len(matches)} API keys"
        raise CliError(f"{problem} matching {key!r}: use the id from `kubeserve keys list`")
    client.revoke_api_key(matches[0]["id"])
    say(f"Revoked API key {matches[0]['name']!r} ({matches[0]['prefix']}…)")
