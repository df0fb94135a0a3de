import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, unwrap, type Schemas } from "@/lib/api";

const POLL_MS = 2000;
const WINDOW = "5m";
const REPLICA_HISTORY = 150;

export type StatsRead = Schemas["StatsRead"];

/** Per-step rates from the endpoint's points (counts per step divided by the step's length). */
export function perSecond(points: StatsRead["points"], windowSeconds: number, pick: (p: StatsRead["points"][number]) => number) {
  const times = points.map((p) => Date.parse(p.time) / 1000);
  const fallback = points.length ? windowSeconds / points.length : 1;
  return points.map((p, i) => {
    const step = i > 0 ? times[i] - times[i - 1] : times.length > 1 ? times[1] - times[0] : fallback;
    return step > 0 ? pick(p) / step : null;
  });
}

/** Polls the deployment's stats (requests, errors, latency, replicas over the last minutes). */
export function useStats(id: number) {
  const query = useQuery({
    queryKey: ["deployments", id, "stats"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/deployments/{deployment_id}/stats", {
          params: { path: { deployment_id: id }, query: { window: WINDOW } },
        }),
      ),
    enabled: id > 0,
    refetchInterval: POLL_MS,
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
  return { ...query, replicas };
}
