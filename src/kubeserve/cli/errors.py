"""The one place where expected failures become a one-line message and an exit code."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from kubeserve.client import KubeServeAPIError, KubeServeError

EXIT_ERROR = 1


class CliError(Exception):
    """A problem the user can fix (bad input, not logged in...): shown as one line, exit 1."""


def _hint(exc: Exception) -> str:
    if (
        isinstance(exc, KubeServeAPIError)
        and exc.status == 401
        and not (exc.path or "").endswith("/auth/login")
    ):
        return ": run `kubeserve login`"
    return ""


class FriendlyGroup(TyperGroup):
    """The root command group: SDK and CLI errors end the command, never with a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (KubeServeError, CliError) as exc:
            message = " ".join(f"{exc}{_hint(exc)}".split())  # one line, whatever the server said
            Console(stderr=True).print(
                f"Error: {message}", style="red", markup=False, highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_ERROR) from None
