"""`register`, `login`, `logout`, `whoami`, `token`: who the CLI acts as."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from kubeserve.cli.common import DEFAULT_URL, JsonOption, UrlOption, connect, print_json, saved_login, say
from kubeserve.cli.config import Login, forget_login, load_login, save_login
from kubeserve.cli.errors import CliError
from kubeserve.client import Client, KubeServeAPIError

Email = Annotated[str, typer.Option(prompt=True, envvar="KUBESERVE_EMAIL", help="Your email.")]
PASSWORD_HELP = "Asked for when missing (never echoed)."
Password = Annotated[
    str, typer.Option(prompt=True, hide_input=True, envvar="KUBESERVE_PASSWORD", help=PASSWORD_HELP)
]
NewPassword = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="KUBESERVE_PASSWORD",
        help=PASSWORD_HELP,
    ),
]


def _login(client: Client, email: str, password: str) -> None:
    token = client.login(email, password)
    expires_at = time.time() + token["expires_in"]
    save_login(client.url, Login(email=email, token=token["access_token"], expires_at=expires_at))


def register(email: Email, password: NewPassword, url: UrlOption = DEFAULT_URL) -> None:
    """Create an account on the control plane, and log in to it."""
    client = connect(url, login=False)
    try:
        client.register(email, password)
    except KubeServeAPIError as exc:
        if exc.status == 409:
            raise CliError(f"{email} already has an account on {client.url}: run `kubeserve login`") from None
        raise
    _login(client, email, password)
    say(f"Registered and logged in as {email} on {client.url}")


def login(email: Email, password: Password, url: UrlOption = DEFAULT_URL) -> None:
    """Log in; the token is saved (mode 0600) in your config directory."""
    client = connect(url, login=False)
    _login(client, email, password)
    say(f"Logged in as {email} on {client.url}")


def logout(url: UrlOption = DEFAULT_URL) -> None:
    """Log out everywhere (every token of yours stops working; API keys do not), and forget
    the saved token for this control plane."""
    client = connect(url, login=False)
    saved = load_login(client.url)
    if saved is None:
        say(f"Not logged in to {client.url}")
        return
    client.token = saved.token
    try:
        client.logout()
    except KubeServeAPIError as exc:
        if exc.status != 401:  # 401: the token had expired or was revoked already
            raise
    forget_login(client.url)
    say(f"Logged out of {client.url}")


def whoami(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """The account you are logged in as."""
    client = connect(url)
    user = client.me()
    if as_json:
        print_json(user)
    else:
        say(f"{user['email']} ({user['role']}) on {client.url}")


def token(url: UrlOption = DEFAULT_URL) -> None:
    """Print your saved token, e.g. for curl: -H "Authorization: Bearer $(kubeserve token)"."""
    client = connect(url, login=False)
    saved = saved_login(client.url)
    if saved.expires_at < time.time():
        raise CliError(f"your token for {client.url} has expired: run `kubeserve login`")
    typer.echo(saved.token)


COMMANDS = [register, login, logout, whoami, token]
