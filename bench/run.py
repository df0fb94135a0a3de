"""`make bench`: KubeServe against MLServer + mlserver-sklearn and a plain FastAPI server.

Same models, same machine, same load generator (wrk with a Lua POST script). Every server's
answers are checked against in-process `predict` before it is loaded. Prints a table with
ratios against MLServer and writes it to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import lua_script, run_wrk  # noqa: E402
from models import build, floor  # noqa: E402
from report import render  # noqa: E402
from servers import (  # noqa: E402
    HERE,
    MAIN_PYTHON,
    MLSERVER,
    SERVERS,
    Server,
    first_good_answer,
    launch,
    stop,
    tree_memory_mb,
)

MLSERVER_PACKAGES = ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", "uvloop<0.22"]


def bench_env(keep_openblas: bool) -> dict[str, str]:
    """Bytecode caching on (every server alike); OPENBLAS_* pinning off unless asked to keep."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not keep_openblas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    if not Path(MLSERVER).exists():
        import sklearn

        venv = HERE / ".venv-mlserver"
        subprocess.run(["uv", "venv", "-q", "-p", "python3.11", str(venv)], check=True)
        subprocess.run(
            [
                "uv",
                "pip",
                "install",
                "-q",
                "--python",
                str(venv / "bin" / "python"),
                *MLSERVER_PACKAGES,
                f"scikit-learn=={sklearn.__version__}",
            ],
            check=True,
        )


def measure(
    server: Server, model: dict[str, Any], work: Path, env: dict[str, str], seconds: int, starts: int
) -> dict[str, Any]:
    """Cold starts, answer check, then wrk at c=1, c=32 and a 64-row batch at c=1."""
    rows, expected, path = model["rows"], model["expected"], model["path"]
    colds = []
    for attempt in range(starts + 1 if server.cold_start else 1):
        proc, base = launch(server, path, work, env)
        took = first_good_answer(server, base, proc, rows[:1], expected[:1])
        if attempt > 0:  # the first launch also writes bytecode caches: not counted
            colds.append(took)
        if attempt < starts and server.cold_start:
            stop(proc)
    try:
        first_good_answer(server, base, proc, rows, expected)  # all 64 rows, exactly
        one = lua_script(work / "one.lua", json.dumps(server.body(rows[:1])), server.path)
        batch = lua_script(work / "batch.lua", json.dumps(server.body(rows)), server.path)
        result = {
            "c1": run_wrk(base, one, 1, seconds),
            "c32": run_wrk(base, one, 32, seconds),
            "b64": run_wrk(base, batch, 1, seconds),
        }
        result = {k: vars(v) for k, v in result.items()}
        result["rss_mb"], result["uss_mb"] = tree_memory_mb(proc.pid)
        result["load_avg"] = os.getloadavg()[0]
    finally:
        stop(proc)
    result["cold_s"] = statistics.median(colds) if colds else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=6, help="length of each wrk run")
    parser.add_argument("--starts", type=int, default=5, help="cold starts per server")
    parser.add_argument("--only", help="comma-separated server names (prefix match)")
    parser.add_argument("--keep-openblas-env", action="store_true")
    args = parser.parse_args()
    ensure_tools()
    work = HERE / ".work"
    env = bench_env(args.keep_openblas_env)
    models = build(work / "models")
    servers = [
        s
        for s in SERVERS
        if not args.only or any(s.name.lower().startswith(o.strip().lower()) for o in args.only.split(","))
    ]
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "models": {}}
    for name, model in models.items():
        entry = results["models"][name] = {
            "floor": floor(MAIN_PYTHON, model["path"], model["rows"], env),
            "servers": {},
        }
        for server in servers:
            print(f"[bench] {name}: {server.name} ...", flush=True)
            try:
                entry["servers"][server.name] = measure(server, model, work, env, args.seconds, args.starts)
            except Exception as exc:  # report it and go on with the others
                print(f"[bench] {server.name} failed: {exc}", flush=True)
                entry["servers"][server.name] = {"error": str(exc)}
    text = render(results)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    for target in (out / f"bench-{stamp}.md", out / "latest.md"):
        target.write_text(text)


if __name__ == "__main__":
    main()
