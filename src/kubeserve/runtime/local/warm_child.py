"""`python -m kubeserve.runtime.local.warm_child --memory-mb N [--parent PID] [--cold]`: a replica.

Warm (pool) mode imports the inference stack first, says `warm` on stdout, then waits on
stdin; the runtime hands it to a new replica by sending one JSON config — with the replica's
log file (and, sandboxed, its listening socket) as passed file descriptors — and closing the
channel. Importing scikit-learn takes
seconds; serving a small model once it is imported takes milliseconds, which is the whole
point. Cold mode gets the same message but imports after reading it (a model that brings
its own numpy or scikit-learn starts cold, so its versions win).

stdin is a Unix socket pair: the config carries the gateway token, so it never travels in
argv or the environment, and the log file is opened by the runtime (outside any sandbox)
and passed in. Before anything else the interpreter caps its own memory; sandboxed (see
runtime/sandbox.py) bubblewrap ties its life to the control plane, otherwise `--parent` does.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from kubeserve.runtime import process

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


def preload() -> None:
    for name in PRELOAD:
        # Optional extras (pandas, uvloop) may be missing: the server copes without them.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def receive() -> tuple[dict[str, Any], list[int]]:
    """The config the runtime sends on stdin (a socket), and the file descriptors with it."""
    channel = socket.socket(fileno=0)
    data, fds, _, _ = socket.recv_fds(channel, 1 << 16, 4)
    chunks = [data]
    while data:
        data = channel.recv(1 << 16)
        chunks.append(data)
    channel.close()
    raw = b"".join(chunks)
    return (json.loads(raw) if raw else {}), list(fds)


def become(config: dict[str, Any], fds: list[int]) -> None:
    """Make this process the replica: its log on fds 1 and 2, its own directory, and (a
    sandboxed replica) the listening socket the runtime bound for it."""
    for fd in fds[:1]:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if len(fds) > 1:
        config["server"]["fd"] = fds[1]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    work_dir = config["server"]["work_dir"]
    os.chdir(work_dir)
    os.environ["HOME"] = work_dir


def serve(server: dict[str, Any]) -> int:
    """Run the model server in this process until it is stopped; the exit status."""
    from kubeserve.inference.server import serve as serve_model
    from kubeserve.inference.settings import ModelServerSettings

    return serve_model(ModelServerSettings(**server))


def confine(argv: list[str]) -> None:
    """`--memory-mb N [--parent PID]`: the replica's limits, before the stack is imported."""
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    process.limits(int(options["--memory-mb"]))()
    if "--parent" in options:
        process.die_with_parent(int(options["--parent"]))


def main(argv: list[str]) -> int:
    cold = "--cold" in argv
    confine([a for a in argv if a != "--cold"])
    if not cold:
        preload()
        sys.stdout.write("warm\n")
        sys.stdout.flush()
    config, fds = receive()
    if not config:  # the pool closed us without a replica to run
        return 0
    become(config, fds)
    return serve(config["server"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
