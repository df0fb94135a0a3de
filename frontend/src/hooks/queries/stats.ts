import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ApiError, describeError } from "@/lib/api";

/** One sample of a deployment's live stats, as the charts draw it. */
export type StatsPoint = {
  t: number;
  rps: number | null;
  errors: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  replicas: number | null;
};

const HISTORY = 60;
const POLL_MS = 2000;

type Raw = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The stats endpoint's answer as chart points (a series it sends, or this one sample). */
export function toPoints(raw: Raw): StatsPoint[] {
  const series = Array.isArray(raw.series) ? (raw.series as Raw[]) : [raw];
  return series.map((s) => {
    const latency = (s.latency_ms ?? s.latency ?? {}) as Raw;
    return {
      t: num(s.t ?? s.time ?? s.timestamp) ?? Date.now() / 1000,
      rps: num(s.requests_per_second ?? s.rps ?? s.request_rate),
      errors: num(s.errors_per_second ?? s.error_rate ?? s.errors),
      p50: num(s.p50_ms ?? latency.p50),
      p95: num(s.p95_ms ?? latency.p95),
      p99: num(s.p99_ms ?? latency.p99),
      replicas: num(s.replicas ?? s.ready_replicas),
    };
  });
}

/** Polls GET /deployments/{id}/stats; `available` is false while the control plane has none. */
export function useStats(id: number) {
  const query = useQuery({
    queryKey: ["deployments", id, "stats"],
    queryFn: async () => {
      const response = await fetch(`/api/v1/deployments/${id}/stats`, { credentials: "same-origin" });
      if (response.status === 404 || response.status === 405) return null;
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, describeError(body?.detail, response.status));
      return body as Raw;
    },
    enabled: id > 0,
    refetchInterval: POLL_MS,
    retry: false,
  });
  const [history, setHistory] = useState<StatsPoint[]>([]);
  const seen = useRef(0);
  useEffect(() => {
    if (!query.data || query.dataUpdatedAt === seen.current) return;
    seen.current = query.dataUpdatedAt;
    const points = toPoints(query.data);
    setHistory((h) => (Array.isArray(query.data?.series) ? points : [...h, ...points]).slice(-HISTORY));
  }, [query.data, query.dataUpdatedAt]);
  return { ...query, available: query.data != null, history };
}
