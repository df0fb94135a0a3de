"""`kubeserve` entry point: one Typer app, one module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(help="KubeServe: from a model file to a live prediction URL.", no_args_is_help=True)


@app.command()
def server(
    host: str | None = typer.Option(None, help="Bind address (default KUBESERVE_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default KUBESERVE_PORT or 8000)."),
) -> None:
    """Start the control plane (API, dashboard, gateway)."""
    import uvicorn

    from kubeserve.app import create_app
    from kubeserve.config import Settings

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _register_model_server() -> None:
    from kubeserve.inference.cli import serve_model

    app.command("serve-model")(serve_model)


_register_model_server()
