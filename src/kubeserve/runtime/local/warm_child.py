"""`python -m kubeserve.runtime.local.warm_child --memory-mb N --parent PID [--cold]`: a replica.

Warm (pool) mode imports the inference stack first, says `warm` on stdout, then blocks on
stdin; the runtime hands it to a new replica by writing one JSON config and closing stdin.
Importing scikit-learn takes seconds; serving a small model once it is imported takes
milliseconds, which is the whole point. Cold mode reads the config first and imports after,
so a model's own numpy or scikit-learn in its packages dir wins.

The config carries the gateway token, so it travels over stdin: never argv or environment.
Before anything else the interpreter caps its own memory and ties its life to the control
plane's (see `sandbox`), so warm or cold, user code only ever runs sandboxed.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from kubeserve.runtime import process
from kubeserve.runtime.base import DeploymentSpec

MODULE = "kubeserve.runtime.local.warm_child"
PRELOAD = (
    "numpy",
    "joblib",
    "sklearn",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.tree",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "sklearn.neighbors",
    "pandas",
    "orjson",
    "uvicorn",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "uvicorn.lifespan.on",
    "uvloop",
    "httptools",
    "kubeserve.inference.server",
    "kubeserve.inference.installer",
    "kubeserve.inference.pickle_scan",
    "kubeserve.inference.model",
    "kubeserve.inference.signature",
    "kubeserve.inference.batching",
    "kubeserve.inference.dataplane",
)


def log_file(replica_dir: Path) -> Path:
    return replica_dir / "replica.log"


def replica_config(
    spec: DeploymentSpec,
    port: int,
    token: str,
    replica_dir: Path,
    packages_dir: Path,
    pip_index_url: str | None,
) -> dict[str, Any]:
    """What the runtime writes to a child's stdin: ModelServerSettings plus where to live."""
    work_dir = replica_dir / "work"
    server = {
        "artifact": spec.artifact_uri,
        "requirements": spec.requirements_uri or None,
        "code": spec.code_uri,  # beside the artifact, so a sandbox that shows it shows this too
        "sha256": spec.sha256 or None,
        "name": spec.model_name,
        "version": spec.version_tag,
        "host": "127.0.0.1",
        "port": port,
        "work_dir": str(work_dir),
        "packages_dir": str(packages_dir),
        "pip_index_url": pip_index_url,
        "gateway_token": token,
    }
    return {
        "server": {k: v for k, v in server.items() if v is not None},
        "log_file": str(log_file(replica_dir)),
        "work_dir": str(work_dir),
    }


def preload() -> None:
    for name in PRELOAD:
        # Optional extras (pandas, uvloop) may be missing: the server copes without them.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def redirect(log_file: str, work_dir: str) -> None:
    """Make this process the replica: its log file on fds 1 and 2, its own directory."""
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for target in (1, 2):
        os.dup2(fd, target)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(work_dir)
    os.environ["HOME"] = work_dir


def shadowed(packages_dir: str | None) -> set[str]:
    """Already-imported top-level packages that the model's packages dir provides again."""
    if not packages_dir or not Path(packages_dir).is_dir():
        return set()
    provided = {
        p.name.split(".")[0]
        for p in Path(packages_dir).iterdir()
        if not p.name.endswith((".dist-info", ".egg-info", ".lock"))
    }
    loaded = {name.split(".")[0] for name in sys.modules}
    return provided & loaded - {"__pycache__", "bin"}


def restart_cold(config: bytes) -> None:
    """Replace this interpreter by a cold one, the config waiting in a pipe on its stdin."""
    read, write = os.pipe()
    os.write(write, config)  # a few hundred bytes: fits the pipe buffer, no reader needed yet
    os.close(write)
    os.dup2(read, 0)
    os.execv(sys.executable, [sys.executable, "-m", MODULE, *sys.argv[1:], "--cold"])


def serve(server: dict[str, Any]) -> int:
    """Run the model server in this process until it is stopped; the exit status."""
    from kubeserve.inference.server import serve as serve_model
    from kubeserve.inference.settings import ModelServerSettings

    return serve_model(ModelServerSettings(**server))


def sandbox(argv: list[str]) -> None:
    """`--memory-mb N --parent PID`: the replica's limits, before the stack is imported."""
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    process.limits(int(options["--memory-mb"]))()
    process.die_with_parent(int(options["--parent"]))


def main(argv: list[str]) -> int:
    cold = "--cold" in argv
    sandbox([a for a in argv if a != "--cold"])
    if not cold:
        preload()
        sys.stdout.write("warm\n")
        sys.stdout.flush()
    raw = sys.stdin.buffer.read()
    if not raw:  # the pool closed us without a replica to run
        return 0
    config = json.loads(raw)
    redirect(config["log_file"], config["work_dir"])
    extra = set() if cold else shadowed(config["server"].get("packages_dir"))
    if extra:
        print(
            f"[kubeserve] the model brings its own {', '.join(sorted(extra))}: "
            "restarting in a fresh interpreter",
            flush=True,
        )
        restart_cold(raw)
    return serve(config["server"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
