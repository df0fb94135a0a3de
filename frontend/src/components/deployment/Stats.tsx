"use client";
import { perSecond, useStats } from "@/hooks/queries/stats";
import { LineChart } from "../LineChart";
import { ErrorState, Spinner } from "../ui";

const ms = (v: number | null) => (v == null ? "—" : `${v.toFixed(1)} ms`);

export function Stats({ deploymentId }: { deploymentId: number }) {
  const stats = useStats(deploymentId);
  if (stats.isLoading) return <Spinner label="Loading stats" />;
  if (stats.error) return <ErrorState error={stats.error} />;
  const s = stats.data!;
  const minutes = Math.round(s.window_seconds / 60);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-700" data-testid="stats-summary">
        Last {minutes} min: <strong>{s.requests}</strong> requests ({s.rate.toFixed(2)}/s), <strong>{s.errors}</strong> errors, latency p50 {ms(s.latency_ms.p50)} · p95 {ms(s.latency_ms.p95)} · p99 {ms(s.latency_ms.p99)}, {s.ready_replicas}/{s.desired_replicas} replicas ready.
      </p>
      {s.requests === 0 && <p className="rounded-md bg-slate-50 p-3 text-sm text-slate-600" data-testid="no-stats">No stats yet: no request in this window. Try the form above and watch the charts move.</p>}
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2" data-testid="stats-charts">
        <LineChart title="Request rate" unit="req/s" format={(v) => v.toFixed(2)} series={[{ name: "rate", color: "#4f46e5", values: perSecond(s.points, s.window_seconds, (p) => p.requests) }]} />
        <LineChart title="Errors" unit="req/s" format={(v) => v.toFixed(2)} series={[{ name: "errors", color: "#dc2626", values: perSecond(s.points, s.window_seconds, (p) => p.errors) }]} />
        <LineChart title="Latency p95" unit="ms" series={[{ name: "p95", color: "#d97706", values: s.points.map((p) => p.p95_ms) }]} />
        <LineChart title="Ready replicas" unit="" format={(v) => v.toFixed(0)} series={[{ name: "ready", color: "#0369a1", values: stats.replicas }]} />
      </div>
    </div>
  );
}
