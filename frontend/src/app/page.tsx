"use client";
import Link from "next/link";
import { Shell } from "@/components/Shell";
import { EmptyState, ErrorState, LinkButton, LoadingState, PageHeader, StatusBadge } from "@/components/ui";
import { useDeployments } from "@/hooks/queries/deployments";
import { useModels, useVersions } from "@/hooks/queries/models";
import type { Model } from "@/lib/api";
import { formatDate } from "@/lib/format";

function ModelRow({ model, live }: { model: Model; live: number }) {
  const versions = useVersions(model.id);
  const latest = versions.data?.at(-1);
  return (
    <li>
      <Link href={`/model/?id=${model.id}`} className="block rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-400" data-testid="model-card">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="font-semibold text-slate-900">{model.name}</h2>
          {latest ? <StatusBadge status={latest.status} /> : versions.isLoading ? null : <StatusBadge status="No versions" />}
        </div>
        <p className="mt-1 line-clamp-2 text-sm text-slate-600">{model.description || "No description."}</p>
        <div className="mt-3 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
          <span>{latest ? `latest ${latest.version_tag}` : "no upload yet"}</span>
          <span>{versions.data ? `${versions.data.length} version${versions.data.length === 1 ? "" : "s"}` : ""}</span>
          <span>updated {formatDate(model.updated_at)}</span>
          {live > 0 && <span className="font-medium text-emerald-800">{live} live deployment{live === 1 ? "" : "s"}</span>}
        </div>
        {latest?.status === "Failed" && latest.error && (
          <p className="mt-2 line-clamp-2 text-sm text-red-700" data-testid="failure-reason">
            {latest.error}
          </p>
        )}
      </Link>
    </li>
  );
}

function Hub() {
  const models = useModels();
  const deployments = useDeployments();
  const live = (id: number) => (deployments.data ?? []).filter((d) => d.model_id === id).length;
  return (
    <>
      <PageHeader title="Models" subtitle="Your models and the state of their latest version." actions={<LinkButton href="/upload/">Upload a model</LinkButton>} />
      {models.isLoading && <LoadingState label="Loading models" />}
      {models.error && <ErrorState error={models.error} retry={() => models.refetch()} />}
      {models.data?.length === 0 && (
        <EmptyState title="No models yet" action={<LinkButton href="/upload/">Upload your first model</LinkButton>}>
          Upload a scikit-learn model file (<code>.joblib</code> or <code>.pkl</code>) with its <code>requirements.txt</code>. KubeServe checks it in a sandbox and gives you a prediction endpoint.
        </EmptyState>
      )}
      {models.data && models.data.length > 0 && (
        <ul className="grid grid-cols-1 gap-4 md:grid-cols-2">
          {models.data.map((model) => (
            <ModelRow key={model.id} model={model} live={live(model.id)} />
          ))}
        </ul>
      )}
    </>
  );
}

export default function HomePage() {
  return (
    <Shell>
      <Hub />
    </Shell>
  );
}
