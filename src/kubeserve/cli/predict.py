"""`predict NAME_OR_ID --data '[[...]]'`: call a deployment from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kubeserve.cli import resolve
from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, print_json
from kubeserve.cli.errors import CliError


def parse_rows(text: str, source: str) -> list[Any]:
    """`[[...]]` or `{"data": [[...]]}` as a list of rows."""
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{source} is not valid JSON: {exc}") from exc
    rows = parsed.get("data") if isinstance(parsed, dict) else parsed
    if not isinstance(rows, list):
        raise CliError(f'{source} must be rows like [[5.1, 3.5, 1.4, 0.2]] or {{"data": [[...]]}}')
    return rows


def _read_rows(data: str | None, file: Path | None) -> list[Any]:
    if (data is None) == (file is None):
        raise CliError("give the rows with --data '[[...]]' or --file rows.json (one of them)")
    if data is not None:
        return parse_rows(data, "--data")
    assert file is not None
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text()
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from exc
    return parse_rows(text, str(file))


def predict(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="NAME_OR_ID", help="Deployment id or name, model name, or the deployment's URL."
        ),
    ],
    data: Annotated[str | None, typer.Option(help="Rows as JSON: '[[5.1, 3.5, 1.4]]'.")] = None,
    file: Annotated[Path | None, typer.Option(help="A JSON file of rows ('-': stdin).")] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="KUBESERVE_API_KEY",
            help="Use an API key instead of your login (then "
            "NAME_OR_ID must be the deployment's name or URL).",
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Send rows to a deployment and print one prediction per line."""
    rows = _read_rows(data, file)
    if api_key:
        client = connect(url, login=False)
        client.api_key, target = api_key, ref
    else:
        client = connect(url)
        is_url = ref.startswith(("http://", "https://"))
        target = ref if is_url else resolve.deployment(client, ref)["name"]
    predictions = client.predict(target, rows)
    if as_json:
        print_json({"predictions": predictions})
        return
    for prediction in predictions:
        typer.echo(json.dumps(prediction))


COMMANDS = [predict]
