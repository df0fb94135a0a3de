"use client";
import { useStats } from "@/hooks/queries/stats";
import { LineChart } from "../LineChart";
import { ErrorState, Spinner } from "../ui";

export function Stats({ deploymentId }: { deploymentId: number }) {
  const stats = useStats(deploymentId);
  if (stats.isLoading) return <Spinner label="Loading stats" />;
  if (stats.error) return <ErrorState error={stats.error} />;
  if (!stats.available)
    return (
      <p className="rounded-md bg-slate-50 p-4 text-sm text-slate-600" data-testid="no-stats">
        No stats yet. Request rate, errors, latency and replicas appear here once this control plane reports them; send a few predictions meanwhile.
      </p>
    );
  const h = stats.history;
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-2" data-testid="stats-charts">
      <LineChart title="Requests" unit="req/s" series={[{ name: "rate", color: "#4f46e5", values: h.map((p) => p.rps) }]} />
      <LineChart title="Errors" unit="req/s" series={[{ name: "errors", color: "#dc2626", values: h.map((p) => p.errors) }]} />
      <LineChart
        title="Latency"
        unit="ms"
        series={[
          { name: "p50", color: "#0d9488", values: h.map((p) => p.p50) },
          { name: "p95", color: "#d97706", values: h.map((p) => p.p95) },
          { name: "p99", color: "#be123c", values: h.map((p) => p.p99) },
        ]}
      />
      <LineChart title="Replicas" unit="" format={(v) => v.toFixed(0)} series={[{ name: "ready", color: "#0369a1", values: h.map((p) => p.replicas) }]} />
    </div>
  );
}
