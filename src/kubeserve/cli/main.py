"""`kubeserve` entry point: one Typer app, one module per command group.

Every command but `server`, `serve-model` and `admin grant|revoke` (which write the control
plane's database where it runs) talks to the control plane over HTTP through
`kubeserve.Client`; `FriendlyGroup` turns their expected failures into one line and exit 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from kubeserve.cli import admin, auth, deployments, keys, logs, models, predict, push, stats
from kubeserve.cli.errors import FriendlyGroup

if TYPE_CHECKING:
    from kubeserve.config import Settings

app = typer.Typer(
    help="KubeServe: from a model file to a live prediction URL.",
    no_args_is_help=True,
    add_completion=False,
    cls=FriendlyGroup,
    pretty_exceptions_show_locals=False,  # locals may hold tokens and passwords
)


@app.command()
def server(
    host: str | None = typer.Option(None, help="Bind address (default KUBESERVE_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default KUBESERVE_PORT or 8000)."),
) -> None:
    """Start the control plane (API, dashboard, gateway)."""
    import uvicorn

    from kubeserve.app import create_app
    from kubeserve.config import Settings

    overrides: dict[str, Any] = {k: v for k, v in {"host": host, "port": port}.items() if v}
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `server` runs uvicorn. X-Forwarded-For is trusted only from the configured proxies
    (uvicorn alone trusts it from 127.0.0.1: any local client could pick its address and
    step around the per-address login limit); slow clients are bounded (slow_clients.py)."""
    from kubeserve.slow_clients import guarded_protocol

    proxies = settings.forwarded_allow_ips.strip()
    return {
        "http": guarded_protocol(settings.header_timeout_seconds, settings.slow_connections_per_address),
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }


def _quiet_types() -> None:
    """Typer prints a type after every parameter (`<bool>` after each flag, `<str>`, `<file>`):
    noise beside help texts that already say what to give. Explicit metavars stay."""
    from typer.core import TyperArgument, TyperOption

    TyperOption.display_type_rich = lambda self, ctx: self.metavar  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


def _register_model_server() -> None:
    @app.command(
        "serve-model",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )
    def serve_model(ctx: typer.Context) -> None:
        """Serve one model (the model server; `kubeserve serve-model --help` for its flags)."""
        from kubeserve.inference.cli import main

        code = main(list(ctx.args))
        if code:
            raise typer.Exit(code)


def _register_client_commands() -> None:
    for module in (auth, push, models, deployments, predict, logs, stats):
        for command in module.COMMANDS:
            app.command()(command)
    app.add_typer(keys.app, name="keys")
    app.add_typer(admin.app, name="admin")


_quiet_types()
_register_model_server()
_register_client_commands()
