"use client";
import { useEffect, useRef, useState } from "react";
import { useLogs } from "@/hooks/queries/deployments";
import { ErrorState } from "../ui";

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
