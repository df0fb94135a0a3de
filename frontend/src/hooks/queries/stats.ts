import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { ApiError, describeError } from "@/lib/api";

const POLL_MS = 2000;
const WINDOW = "5m";
const REPLICA_HISTORY = 150;

/** GET /deployments/{id}/stats (the observability endpoint). */
export type StatsRead = {
  window_seconds: number;
  requests: number;
  rate: number;
  errors: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  ready_replicas: number;
  desired_replicas: number;
  points: { time: string; requests: number; errors: number; p95_ms: number | null }[];
};

/** Per-step rates from the endpoint's points (counts per step divided by the step's length). */
export function perSecond(points: StatsRead["points"], windowSeconds: number, pick: (p: StatsRead["points"][number]) => number) {
  const times = points.map((p) => Date.parse(p.time) / 1000);
  const fallback = points.length ? windowSeconds / points.length : 1;
  return points.map((p, i) => {
    const step = i > 0 ? times[i] - times[i - 1] : times.length > 1 ? times[1] - times[0] : fallback;
    return step > 0 ? pick(p) / step : null;
  });
}

/** Polls the stats; `available` is false while this control plane has no stats endpoint (404). */
export function useStats(id: number) {
  const query = useQuery({
    queryKey: ["deployments", id, "stats"],
    queryFn: async (): Promise<StatsRead | null> => {
      const response = await fetch(`/api/v1/deployments/${id}/stats?window=${WINDOW}`, { credentials: "same-origin" });
      if (response.status === 404 || response.status === 405) return null;
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, describeError(body?.detail, response.status));
      return body as StatsRead;
    },
    enabled: id > 0,
    refetchInterval: POLL_MS,
    retry: false,
  });
  // Replicas are a level, not a count per step: keep what each poll saw.
  const [replicas, setReplicas] = useState<number[]>([]);
  const seen = useRef(0);
  useEffect(() => {
    if (!query.data || query.dataUpdatedAt === seen.current) return;
    seen.current = query.dataUpdatedAt;
    const ready = query.data.ready_replicas;
    setReplicas((h) => [...h, ready].slice(-REPLICA_HISTORY));
  }, [query.data, query.dataUpdatedAt]);
  return { ...query, available: query.data != null, replicas };
}
