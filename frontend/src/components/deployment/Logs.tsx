"use client";
import { useEffect, useRef, useState } from "react";
import { useLogs } from "@/hooks/queries/deployments";
import type { Schemas } from "@/lib/api";
import { ErrorState, DataTable } from "../ui";

const RECENT = 10;

/** The gateway's request log: the newest predictions (never their payloads). */
function RecentRequests({ entries }: { entries: Schemas["RequestLogEntry"][] }) {
  if (!entries.length) return <p className="text-sm text-slate-600">No prediction requests yet.</p>;
  return (
    <DataTable label="Recent requests" columns={["Time", "Status", "Latency", "Rows", "Caller"]} testId="recent-requests">
      {entries.slice(-RECENT).reverse().map((e) => (
        <tr key={e.cursor}>
          <td className="whitespace-nowrap px-4 py-1.5 font-mono text-xs sm:px-2">{e.time}</td>
          <td className={`px-2 py-1.5 font-medium ${e.status < 400 ? "text-emerald-800" : e.status < 500 ? "text-amber-800" : "text-red-700"}`}>{e.status}</td>
          <td className="whitespace-nowrap px-2 py-1.5">{e.latency_ms.toFixed(1)} ms</td>
          <td className="px-2 py-1.5">{e.rows}</td>
          <td className="px-2 py-1.5">{e.caller}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The replicas' last log lines; with follow on, polled and kept scrolled to the end. */
export function Logs({ deploymentId }: { deploymentId: number }) {
  const [follow, setFollow] = useState(true);
  const logs = useLogs(deploymentId, follow);
  const box = useRef<HTMLPreElement>(null);
  const lines = logs.data?.lines ?? [];

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, lines.length, logs.dataUpdatedAt]);

  return (
    <div>
      <div className="mb-2 flex items-center justify-between">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} className="h-4 w-4" />
          Follow
        </label>
        <span className="text-xs text-slate-600">last {lines.length} lines</span>
      </div>
      <h3 className="mb-2 text-sm font-semibold text-slate-900">Recent requests</h3>
      {logs.data && <RecentRequests entries={logs.data.requests ?? []} />}
      <h3 className="mb-2 mt-4 text-sm font-semibold text-slate-900">Replica output</h3>
      {logs.error ? (
        <ErrorState error={logs.error} retry={() => logs.refetch()} />
      ) : (
        <pre ref={box} tabIndex={0} aria-label="Log lines" data-testid="logs" className="h-64 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100">
          {logs.isLoading ? "Loading…" : lines.length ? lines.join("\n") : "No log lines yet: they appear when a replica starts."}
        </pre>
      )}
    </div>
  );
}
