"""`admin grant|revoke EMAIL` (the operator, on the control plane's database) and
`admin users|quota` (an admin, over HTTP)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, print_json, print_table, say
from kubeserve.cli.errors import CliError
from kubeserve.client import AdminUser, Client

app = typer.Typer(help="Administration: admins, and users' quotas.", no_args_is_help=True)
EmailArgument = Annotated[str, typer.Argument(help="The registered user's email.")]


def _set_role(email: str, role: str) -> None:
    from kubeserve.admin.operator import set_role
    from kubeserve.config import Settings
    from kubeserve.errors import KubeServeError

    try:
        say(asyncio.run(set_role(Settings(), email, role)))
    except KubeServeError as exc:
        raise CliError(str(exc.detail)) from None


@app.command()
def grant(email: EmailArgument) -> None:
    """Make a user an admin. Run it where the control plane runs (same KUBESERVE_* settings:
    it writes to the control plane's database), e.g. `kubectl exec deploy/kubeserve -- ...`."""
    _set_role(email, "admin")


@app.command()
def revoke(email: EmailArgument) -> None:
    """Take admin away from a user (where the control plane runs, like `grant`)."""
    _set_role(email, "user")


def _mark(user: AdminUser, field: str) -> str:
    value = str(user["quota"][field])  # type: ignore[literal-required]
    return value if user["custom_quota"][field] is None else f"{value}*"  # type: ignore[literal-required]


@app.command()
def users(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Every user with their quota (* = set by an admin) and the replicas their deployments hold."""
    found = connect(url).admin_users()
    if as_json:
        print_json(found)
        return
    rows = (
        (
            u["id"],
            u["email"],
            u["role"],
            _mark(u, "cpu"),
            _mark(u, "memory"),
            _mark(u, "pods"),
            u["usage"]["deployments"],
            u["usage"]["replicas"],
        )
        for u in found
    )
    columns = ("ID", "EMAIL", "ROLE", "CPU", "MEMORY", "PODS", "DEPLOYMENTS", "REPLICAS")
    print_table(columns, rows, "No users.")


def _find(client: Client, user: str) -> AdminUser:
    matches = [u for u in client.admin_users() if user in (str(u["id"]), u["email"])]
    if not matches:
        raise CliError(f"no user {user!r}: see `kubeserve admin users`")
    return matches[0]


@app.command()
def quota(
    user: Annotated[str, typer.Argument(metavar="ID_OR_EMAIL", help="The user.")],
    cpu: Annotated[str | None, typer.Option(help="CPU: cores (4, 1.5) or millicores (500m).")] = None,
    memory: Annotated[str | None, typer.Option(help="Memory: 8Gi, 512Mi...")] = None,
    pods: Annotated[int | None, typer.Option(help="Replicas at once, all deployments together.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Back to the platform default.")] = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Show a user's quota, or set it (--cpu/--memory/--pods) or reset it (--default)."""
    client = connect(url)
    target = _find(client, user)
    changes = {k: v for k, v in {"cpu": cpu, "memory": memory, "pods": pods}.items() if v is not None}
    if default and changes:
        raise CliError("--default resets the whole quota: give it alone")
    if default:
        target = client.reset_quota(target["id"])
    elif changes:
        target = client.set_quota(target["id"], changes)
    if as_json:
        print_json(target)
        return
    q = target["quota"]
    say(f"{target['email']}: cpu {q['cpu']}, memory {q['memory']}, pods {q['pods']}")
