"""Where the CLI keeps its logins: one JSON file, mode 0600, in the user's config directory.

`$KUBESERVE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/kubeserve`, else `~/.config/kubeserve`. A token
is stored per control-plane URL, so `--url` picks both the server and the login for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from kubeserve.cli.errors import CliError

CREDENTIALS = "credentials.json"


@dataclass(frozen=True)
class Login:
    """A bearer token for one control plane."""

    email: str
    token: str
    expires_at: float


def config_dir() -> Path:
    """The directory holding the CLI's files (created on first login)."""
    if explicit := os.environ.get("KUBESERVE_CONFIG_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "kubeserve"


def credentials_path() -> Path:
    return config_dir() / CREDENTIALS


def _read_all() -> dict[str, dict[str, object]]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path} ({exc}): delete it and log in again") from exc
    return data if isinstance(data, dict) else {}


def _write_all(data: dict[str, dict[str, object]]) -> Path:
    """Atomically replace the file; it is created 0600 so the token is never world-readable."""
    path = credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = path.with_name(f".{CREDENTIALS}.{os.getpid()}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)  # also when a stale staging file had other bits
        json.dump(data, file, indent=2)
    os.replace(staging, path)
    return path


def load_login(url: str) -> Login | None:
    """The saved login for the control plane at `url`, if any."""
    entry = _read_all().get(url)
    try:
        return Login(**entry) if entry else None  # type: ignore[arg-type]
    except TypeError:
        return None


def save_login(url: str, login: Login) -> Path:
    data = _read_all()
    data[url] = asdict(login)
    return _write_all(data)


def forget_login(url: str) -> bool:
    """Remove the login for `url`; False when there was none."""
    data = _read_all()
    if data.pop(url, None) is None:
        return False
    _write_all(data)
    return True
