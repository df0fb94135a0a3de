"""`predict NAME_OR_ID --data '[[...]]'` (or --file rows.json|rows.csv): call a deployment."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kubeserve.cli import resolve
from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, print_json
from kubeserve.cli.errors import CliError

SHAPES = (
    'rows [[5.1, 3.5]], records [{"city": "paris", "rooms": 2}], or a whole body '
    'such as {"columns": [...], "data": [[...]]}'
)


def parse_json(text: str, source: str) -> Any:
    """Rows, records, or a whole /predict body (a dict), as the server accepts them."""
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{source} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, list | dict):
        raise CliError(f"{source} must be {SHAPES}")
    return parsed


def parse_csv(text: str, source: str) -> dict[str, Any]:
    """A CSV with a header row, as pandas' split orientation; numbers become numbers."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise CliError(f"{source}: a CSV needs a header row and at least one row of values")
    header, data = rows[0], [r for r in rows[1:] if r]
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise CliError(f"{source} line {i}: {len(row)} values for {len(header)} columns")
    return {"columns": header, "data": [[_cell(v) for v in row] for row in data]}


def _cell(value: str) -> Any:
    if value == "":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def read_input(data: str | None, file: Path | None) -> Any:
    if (data is None) == (file is None):
        raise CliError("give the input with --data '[[...]]' or --file rows.json|rows.csv (one of them)")
    if data is not None:
        return parse_json(data, "--data")
    assert file is not None
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text()
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from exc
    if file.suffix.lower() == ".csv":
        return parse_csv(text, str(file))
    return parse_json(text, str(file))


def predict(
    ref: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Model name, deployment name or id, or the deployment's URL."),
    ],
    data: Annotated[str | None, typer.Option(help=f"JSON: {SHAPES}.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="A .json file (as --data) or a .csv with a header row; '-': stdin.")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="predict_proba, decision_function, ...: any method the model lists.")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="KUBESERVE_API_KEY", help="Predict with an API key instead of your login."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Send rows to a deployment and print one prediction per line."""
    body = read_input(data, file)
    if api_key:  # the gateway resolves a model name to its owner's deployment itself
        client = connect(url, login=False)
        client.api_key, target = api_key, ref
    else:
        client = connect(url)
        is_url = ref.startswith(("http://", "https://"))
        target = ref if is_url else resolve.deployment(client, ref)["name"]
    predictions = client.predict(target, body, method=method)
    if as_json:
        print_json({"predictions": predictions})
        return
    for prediction in predictions:
        typer.echo(json.dumps(prediction))


COMMANDS = [predict]
