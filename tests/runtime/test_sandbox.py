"""The sandbox itself (runtime/sandbox.py): what a process inside a box can and cannot do."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kubeserve.runtime import cgroups, sandbox

pytestmark = pytest.mark.skipif(not sandbox.support().available, reason=sandbox.support().reason)

INSIDE = r"""
import json, os, socket, sys, time
out = {"pid": os.getpid(), "uid": os.getuid()}
out["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["model"] = open("/model/m.txt").read()
try:
    open("/model/m.txt", "a")
    out["model_writable"] = True
except OSError:
    out["model_writable"] = False
open("/box/written", "w").write("mine")
out["hidden"] = os.path.exists(sys.argv[1] + "/secret")
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    out["network"] = True
except OSError:
    out["network"] = False
kids = 0
try:
    for _ in range(100):
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        kids += 1
except OSError:
    pass
out["forks"] = kids
print(json.dumps(out))
"""


def test_a_box_sees_only_its_files_and_nothing_else(tmp_path: Path) -> None:
    model, box_dir = tmp_path / "model", tmp_path / "box"
    model.mkdir()
    box_dir.mkdir()
    (model / "m.txt").write_text("weights")
    # A secret under a path the sandbox must bind (the Python runtime): masked all the same.
    hidden = Path(tempfile.mkdtemp(dir=sys.prefix, prefix="kubeserve-test-hidden-"))
    (hidden / "secret").write_text("key")
    listener = socket.create_server(("127.0.0.1", 0))
    box = sandbox.Box(
        name=f"test-{tmp_path.name}", read_only={sandbox.MODEL_DIR: model}, writable=box_dir, max_processes=32
    )
    argv = [sys.executable, "-c", INSIDE, str(hidden), str(listener.getsockname()[1])]
    try:
        done = subprocess.run(
            sandbox.command(argv, box, hidden=[hidden]), capture_output=True, text=True, timeout=60
        )
    finally:
        sandbox.release(box)
        listener.close()
        (hidden / "secret").unlink()
        hidden.rmdir()
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["model"] == "weights" and seen["model_writable"] is False
    assert (box_dir / "written").read_text() == "mine"
    assert seen["hidden"] is False and seen["network"] is False
    assert seen["uid"] == 65534
    assert seen["processes"] == [1, seen["pid"]]  # its own pid namespace: bwrap's init and itself
    if "pids" in cgroups.describe() or "v2" in cgroups.describe():
        assert seen["forks"] < 32  # the pids cgroup stops it
