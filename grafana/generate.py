"""Generate KubeServe's Grafana dashboards (grafana/dashboards/*.json) with grafana-foundation-sdk.

    .venv/bin/python grafana/generate.py          # rewrite the JSON files
    .venv/bin/python grafana/generate.py --check  # exit 1 if they are out of date

Every panel reads the series KubeServe exports (see README.md, "Monitoring"): replica series
carry the target labels user, model, version, deployment, release and replica given by the
control plane's discovery endpoint; control-plane series carry `deployment` where they have one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "[$__rate_interval]"
QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
REPLICA = 'replica!=""'  # replica targets (the control plane's own series have no replica label)


def query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DS)


def graph(title: str, unit: str, *targets: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DS).height(8).span(width)
    for target in targets:
        panel = panel.with_target(target)
    return panel


def single(title: str, unit: str, expr: str) -> stat.Panel:
    return (
        stat.Panel().title(title).unit(unit).datasource(DS).height(4).span(6).with_target(query(expr, title))
    )


def request_rate(by: str, selector: str = "") -> str:
    return f"sum by ({by}) (rate(kubeserve_predictions_total{{{selector}}}{RATE}))"


def error_ratio(by: str, selector: str = "") -> str:
    sep = "," if selector else ""
    failed = f'sum by ({by}) (rate(kubeserve_predictions_total{{outcome!="ok"{sep}{selector}}}{RATE}))'
    return f"{failed} / {request_rate(by, selector)}"


def latency(by: str, selector: str = "") -> list[prometheus.Dataquery]:
    buckets = f"sum by ({by}, le) (rate(kubeserve_prediction_duration_seconds_bucket{{{selector}}}{RATE}))"
    return [
        query(f"histogram_quantile({q}, {buckets})", f"{{{{{by}}}}} {name}", ref=name.upper())
        for name, q in QUANTILES
    ]


def resource_panels(by: str, selector: str) -> list[timeseries.Panel]:
    return [
        graph(
            f"CPU by {by}",
            "percentunit",
            query(f"sum by ({by}) (rate(process_cpu_seconds_total{{{selector}}}{RATE}))", f"{{{{{by}}}}}"),
        ),
        graph(
            f"Memory (RSS) by {by}",
            "bytes",
            query(f"sum by ({by}) (process_resident_memory_bytes{{{selector}}})", f"{{{{{by}}}}}"),
        ),
    ]


def datasource_variable() -> dashboard.DatasourceVariable:
    return dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def overview() -> dashboard.Dashboard:
    """The platform: every user and every deployment at a glance."""
    board = (
        dashboard.Dashboard("KubeServe: platform overview")
        .uid("kubeserve-overview")
        .tags(["kubeserve"])
        .refresh("30s")
        .time("now-1h", "now")
        .with_variable(datasource_variable())
        .with_row(dashboard.Row("Platform"))
        .with_panel(
            single("Predictions per second", "reqps", f"sum(rate(kubeserve_predictions_total{RATE}))")
        )
        .with_panel(
            single(
                "Error ratio",
                "percentunit",
                f'sum(rate(kubeserve_predictions_total{{outcome!="ok"}}{RATE})) '
                f"/ sum(rate(kubeserve_predictions_total{RATE}))",
            )
        )
        .with_panel(single("Ready replicas", "none", 'sum(kubeserve_replicas{state="ready"})'))
        .with_panel(single("Replica targets up", "none", f"sum(up{{{REPLICA}}})"))
    )
    for by in ("user", "deployment"):
        board = (
            board.with_row(dashboard.Row(f"Per {by}"))
            .with_panel(graph(f"Request rate by {by}", "reqps", query(request_rate(by), f"{{{{{by}}}}}")))
            .with_panel(graph(f"Error ratio by {by}", "percentunit", query(error_ratio(by), f"{{{{{by}}}}}")))
            .with_panel(graph(f"Latency by {by} (p50, p95, p99)", "s", *latency(by), width=24))
            .with_panel(
                graph(
                    f"Replicas by {by}",
                    "none",
                    query(f"count by ({by}) (up{{{REPLICA}}} == 1)", f"{{{{{by}}}}}"),
                )
            )
        )
        for panel in resource_panels(by, REPLICA):
            board = board.with_panel(panel)
    return (
        board.with_row(dashboard.Row("Control plane"))
        .with_panel(
            graph(
                "API requests by route and status",
                "reqps",
                query(
                    f"sum by (route, status) (rate(kubeserve_http_requests_total{RATE}))",
                    "{{route}} {{status}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Gateway p99 by deployment",
                "s",
                query(
                    "histogram_quantile(0.99, sum by (deployment, le) "
                    f"(rate(kubeserve_gateway_request_duration_seconds_bucket{RATE})))",
                    "{{deployment}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Builds by outcome",
                "none",
                query("sum by (outcome) (kubeserve_builds_total)", "{{outcome}}"),
            )
        )
        .with_panel(
            graph(
                "Reconciler passes and errors",
                "ops",
                query(f"sum(rate(kubeserve_reconciler_passes_total{RATE}))", "passes"),
                query(f"sum(rate(kubeserve_reconciler_errors_total{RATE}))", "errors", ref="B"),
            )
        )
    )


def per_deployment() -> dashboard.Dashboard:
    """One deployment in detail; pick it with the `deployment` variable."""
    sel = 'deployment="$deployment"'
    variable = (
        dashboard.QueryVariable("deployment")
        .label("Deployment")
        .datasource(DS)
        .query("label_values(kubeserve_predictions_total, deployment)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )
    return (
        dashboard.Dashboard("KubeServe: deployment")
        .uid("kubeserve-deployment")
        .tags(["kubeserve"])
        .refresh("30s")
        .time("now-1h", "now")
        .with_variable(datasource_variable())
        .with_variable(variable)
        .with_panel(
            graph(
                "Requests by outcome",
                "reqps",
                query(f"sum by (outcome) (rate(kubeserve_predictions_total{{{sel}}}{RATE}))", "{{outcome}}"),
            )
        )
        .with_panel(graph("Error ratio", "percentunit", query(error_ratio("deployment", sel), "errors")))
        .with_panel(graph("Latency (p50, p95, p99)", "s", *latency("deployment", sel)))
        .with_panel(
            graph(
                "Replicas: ready and desired",
                "none",
                query(f'sum(kubeserve_replicas{{{sel},state="ready"}})', "ready"),
                query(f"sum(kubeserve_desired_replicas{{{sel}}})", "desired", ref="B"),
            )
        )
        .with_panel(
            graph(
                "CPU per replica",
                "percentunit",
                query(
                    f"rate(process_cpu_seconds_total{{{sel},{REPLICA}}}{RATE})",
                    "{{replica}} (release {{release}})",
                ),
            )
        )
        .with_panel(
            graph(
                "Memory (RSS) per replica",
                "bytes",
                query(
                    f"process_resident_memory_bytes{{{sel},{REPLICA}}}", "{{replica}} (release {{release}})"
                ),
            )
        )
        .with_panel(
            graph(
                "In flight and batching",
                "none",
                query(f"sum(kubeserve_predictions_in_flight{{{sel}}})", "in flight"),
                query(
                    f"sum(rate(kubeserve_prediction_batch_requests_sum{{{sel}}}{RATE})) "
                    f"/ sum(rate(kubeserve_prediction_batch_requests_count{{{sel}}}{RATE}))",
                    "requests per batch",
                    ref="B",
                ),
                query(
                    f"sum(rate(kubeserve_prediction_rows_sum{{{sel}}}{RATE})) "
                    f"/ sum(rate(kubeserve_prediction_rows_count{{{sel}}}{RATE}))",
                    "rows per request",
                    ref="C",
                ),
            )
        )
        .with_panel(
            graph(
                "Gateway p99 by upstream replica",
                "s",
                query(
                    "histogram_quantile(0.99, sum by (upstream, le) "
                    f"(rate(kubeserve_gateway_request_duration_seconds_bucket{{{sel}}}{RATE})))",
                    "{{upstream}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Gateway answers by status",
                "reqps",
                query(
                    f"sum by (status) (rate(kubeserve_gateway_requests_total{{{sel}}}{RATE}))", "{{status}}"
                ),
            )
        )
    )


DASHBOARDS = {"kubeserve-overview.json": overview, "kubeserve-deployment.json": per_deployment}


def render(build: object) -> str:
    return json.dumps(json.loads(JSONEncoder().encode(build)), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, make in DASHBOARDS.items():
        text, path = render(make().build()), OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
            continue
        path.write_text(text)
        print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run: .venv/bin/python grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
