"use client";
/** Release history, rolling out another Ready version, and rolling back. */
import { useState } from "react";
import { useReleases, useRollback, useUpdateDeployment } from "@/hooks/queries/deployments";
import { useVersions } from "@/hooks/queries/models";
import { errorText, type Deployment } from "@/lib/api";
import { formatDate } from "@/lib/format";
import { Alert, Button, ErrorState, LoadingState, StatusBadge, DataTable } from "../ui";

export function Releases({ deployment }: { deployment: Deployment }) {
  const releases = useReleases(deployment.id);
  const versions = useVersions(deployment.model_id);
  const rollback = useRollback(deployment.id);
  const update = useUpdateDeployment(deployment.id);
  const [choice, setChoice] = useState("");
  const tag = (id: number) => versions.data?.find((v) => v.id === id)?.version_tag ?? `#${id}`;
  const candidates = (versions.data ?? []).filter((v) => v.status === "Ready" && v.id !== deployment.version_id);
  const canRollBack = (releases.data ?? []).some((r) => r.revision < deployment.release && ["Active", "Superseded"].includes(r.status));

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1">
          <label htmlFor="rollout-version" className="block text-sm font-medium text-slate-800">Roll out another version</label>
          <select id="rollout-version" value={choice} onChange={(e) => setChoice(e.target.value)} className="mt-1 block w-full rounded-md px-3 py-2 text-sm ring-1 ring-slate-300">
            <option value="">{candidates.length ? "Choose a Ready version" : "No other Ready version"}</option>
            {candidates.map((v) => (
              <option key={v.id} value={v.id}>{v.version_tag}</option>
            ))}
          </select>
        </div>
        <Button tone="secondary" disabled={!choice || update.isPending} onClick={() => update.mutate({ version_id: Number(choice) }, { onSuccess: () => setChoice("") })}>
          Roll out
        </Button>
        <Button tone="secondary" disabled={!canRollBack || rollback.isPending} onClick={() => rollback.mutate(undefined)}>
          Roll back
        </Button>
      </div>
      {(update.error || rollback.error) && <Alert>{errorText(update.error ?? rollback.error)}</Alert>}
      {releases.isLoading && <LoadingState label="Loading releases" />}
      {releases.error && <ErrorState error={releases.error} retry={() => releases.refetch()} />}
      {releases.data && (
        <DataTable label="Release history" columns={["Release", "Version", "Status", "Why", "When"]} testId="releases">
          {releases.data.map((r) => (
            <tr key={r.id}>
              <td className="px-4 py-1.5 sm:px-2">#{r.revision}</td>
              <td className="px-2 py-1.5 font-medium">{tag(r.version_id)}</td>
              <td className="px-2 py-1.5"><StatusBadge status={r.status} /></td>
              <td className="px-2 py-1.5 text-slate-700">{r.reason ?? ""}</td>
              <td className="whitespace-nowrap px-2 py-1.5 text-slate-600">{formatDate(r.created_at)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
