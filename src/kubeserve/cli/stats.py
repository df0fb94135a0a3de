"""`stats NAME_OR_ID [--window 5m]`: requests, errors, latency and replicas of a deployment."""

from __future__ import annotations

from typing import Annotated

import typer

from kubeserve.cli import resolve
from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, out, print_json, print_table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def stats(
    ref: Annotated[
        str, typer.Argument(metavar="NAME_OR_ID", help="Deployment id, deployment name, or model name.")
    ],
    window: Annotated[str, typer.Option(help="How far back: 30s, 5m, 1h.")] = "5m",
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Requests, error rate, latency (p50/p95/p99), replicas, CPU and memory over a window."""
    client = connect(url)
    found = client.stats(resolve.deployment(client, ref)["id"], window)
    if as_json:
        print_json(found)
        return
    latency = found["latency_ms"]
    errors = found["errors"] / found["requests"] if found["requests"] else 0.0
    out.print(f"{found['deployment']}, last {window}:")
    out.print(
        f"  requests {found['requests']} ({found['rate']:.2f}/s), errors {found['errors']} ({errors:.1%})"
    )
    out.print(f"  latency p50 {_ms(latency['p50'])}, p95 {_ms(latency['p95'])}, p99 {_ms(latency['p99'])}")
    out.print(f"  replicas {found['ready_replicas']} ready of {found['desired_replicas']}")
    rows = (
        (
            r["replica"],
            r["release"],
            r["requests"],
            f"{r['cpu_cores'] * 100:.1f}%",
            f"{r['memory_bytes'] / 2**20:.0f} MiB",
        )
        for r in found["replicas"]
    )
    print_table(("REPLICA", "RELEASE", "REQUESTS", "CPU", "MEMORY"), rows, "  (no replica sampled yet)")


COMMANDS = [stats]
