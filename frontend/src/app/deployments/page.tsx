"use client";
import Link from "next/link";
import { Shell } from "@/components/Shell";
import { EmptyState, ErrorState, LinkButton, LoadingState, PageHeader, StatusBadge } from "@/components/ui";
import { useDeployments } from "@/hooks/queries/deployments";

function DeploymentList() {
  const deployments = useDeployments();
  return (
    <>
      <PageHeader title="Deployments" subtitle="Live prediction endpoints; statuses update by themselves." />
      {deployments.isLoading && <LoadingState label="Loading deployments" />}
      {deployments.error && <ErrorState error={deployments.error} retry={() => deployments.refetch()} />}
      {deployments.data?.length === 0 && (
        <EmptyState title="Nothing deployed yet" action={<LinkButton href="/">Pick a model</LinkButton>}>
          Open a Ready version of a model and press Deploy: you get a live URL, code snippets and a try-it form.
        </EmptyState>
      )}
      {deployments.data && deployments.data.length > 0 && (
        <ul className="grid grid-cols-1 gap-3">
          {deployments.data.map((d) => (
            <li key={d.id}>
              <Link href={`/deployment/?id=${d.id}`} className="flex flex-wrap items-center justify-between gap-2 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-400" data-testid="deployment-card">
                <div className="min-w-0">
                  <p className="font-semibold text-slate-900">
                    {d.model_name} <span className="font-normal text-slate-600">{d.version_tag}</span>
                  </p>
                  <p className="truncate font-mono text-xs text-slate-600">{d.url}</p>
                </div>
                <div className="flex items-center gap-3 text-sm text-slate-700">
                  <span>
                    {d.ready_replicas}/{d.desired_replicas || d.replicas} ready
                  </span>
                  <StatusBadge status={d.status} />
                </div>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export default function DeploymentsPage() {
  return (
    <Shell>
      <DeploymentList />
    </Shell>
  );
}
