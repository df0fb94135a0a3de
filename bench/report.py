"""The benchmark table: one block per model, ratios against MLServer, targets checked."""

from __future__ import annotations

from typing import Any

BASELINE = "MLServer 1.7.1"
HEADER = (
    "| server | c=1 req/s | c=1 p50 ms | c=1 p99 ms | c=32 req/s | c=32 p50 ms | "
    "c=32 p99 ms | 64 rows c=1 req/s | 64 rows p50 ms | cold start s | RSS (USS) MB | "
    "c=32 vs MLServer | load avg |"
)


def _f(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _row(name: str, r: dict[str, Any], base: dict[str, Any] | None) -> str:
    if "error" in r:
        return f"| {name} | failed: {r['error'][:80]} |" + " |" * 11
    c1, c32, b64 = r["c1"], r["c32"], r["b64"]
    ratio = f"{c32['rps'] / base['c32']['rps']:.1f}x" if base and "c32" in base else "-"
    errors = sum(r[k]["errors"] for k in ("c1", "c32", "b64"))
    flag = f" ({errors} errors)" if errors else ""
    return (
        f"| {name}{flag} | {_f(c1['rps'], 0)} | {_f(c1['p50_ms'])} | {_f(c1['p99_ms'])} | "
        f"{_f(c32['rps'], 0)} | {_f(c32['p50_ms'])} | {_f(c32['p99_ms'])} | "
        f"{_f(b64['rps'], 0)} | {_f(b64['p50_ms'])} | {_f(r['cold_s'])} | "
        f"{_f(r['rss_mb'], 0)} ({_f(r.get('uss_mb'), 0)}) | {ratio} | "
        f"{_f(r.get('load_avg'), 1)} |"
    )


def _targets(name: str, entry: dict[str, Any]) -> list[str]:
    ks, ml = entry["servers"].get("KubeServe", {}), entry["servers"].get(BASELINE, {})
    if "c32" not in ks:
        return []
    lines = []
    if "c32" in ml:
        want = 3 if name == "iris" else 8
        got = ks["c32"]["rps"] / ml["c32"]["rps"]
        lines.append(
            f"- c=32 throughput {got:.1f}x MLServer (target >= {want}x): {'met' if got >= want else 'MISSED'}"
        )
    if name == "iris":
        extra = ks["c1"]["p50_ms"] - entry["floor"]["row"]
        lines.append(
            f"- c=1 p50 is {extra:.2f} ms above the predict floor (target <= 0.3): "
            f"{'met' if extra <= 0.3 else 'MISSED'}"
        )
        cold = ks["cold_s"]
        lines.append(f"- cold start {cold:.2f} s (target < 1.0): {'met' if cold < 1 else 'MISSED'}")
    rss = ks["rss_mb"]
    lines.append(f"- RSS {rss:.0f} MB (target < 150): {'met' if rss < 150 else 'MISSED'}")
    return lines


def render(results: dict[str, Any]) -> str:
    out = [f"# KubeServe benchmark ({results['date']})", ""]
    for name, entry in results["models"].items():
        fl = entry["floor"]
        out += [
            f"## {name}",
            "",
            f"in-process predict floor: {fl['row']:.3f} ms (1 row), {fl['batch']:.3f} ms "
            f"(64 rows); BLAS: {', '.join(fl.get('blas', [])) or '?'}",
            "",
            HEADER,
            "|" + "---|" * 13,
        ]
        base = entry["servers"].get(BASELINE)
        out += [_row(server, r, base) for server, r in entry["servers"].items()]
        out += [""] + _targets(name, entry) + [""]
    out += [
        "Each wrk run is single-threaded with 1 or 32 connections; load avg is the machine's",
        "1-minute load after the runs (other work on this 2-core machine skews numbers).",
        "",
    ]
    return "\n".join(out)
