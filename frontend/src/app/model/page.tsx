"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Suspense, useState } from "react";
import { Shell } from "@/components/Shell";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LinkButton, LoadingState, PageHeader, StatusBadge, DataTable } from "@/components/ui";
import { useDeleteModel, useModel, useVersions } from "@/hooks/queries/models";
import { errorText } from "@/lib/api";
import { formatDate, shortHash } from "@/lib/format";
import { useIdParam } from "@/lib/params";
import { formatBytes } from "@/lib/upload";

function ModelView() {
  const id = useIdParam();
  const model = useModel(id);
  const versions = useVersions(id);
  const remove = useDeleteModel();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);

  if (!id) return <ErrorState error="No model id in the address." />;
  if (model.isLoading) return <LoadingState label="Loading the model" />;
  if (model.error) return <ErrorState error={model.error} retry={() => model.refetch()} />;
  const m = model.data!;
  const list = [...(versions.data ?? [])].reverse();

  async function onDelete() {
    await remove.mutateAsync(m.id);
    router.replace("/");
  }

  return (
    <>
      <PageHeader
        title={m.name}
        subtitle={m.description || `${m.type} model, created ${formatDate(m.created_at)}`}
        back={{ href: "/", label: "Models" }}
        actions={
          <>
            <LinkButton href={`/upload/?model=${m.id}`}>Upload a new version</LinkButton>
            <Button tone="secondary" onClick={() => setConfirming(true)}>
              Delete model
            </Button>
          </>
        }
      />
      <Card title="Versions" id="versions">
        {versions.isLoading && <LoadingState label="Loading versions" />}
        {versions.error && <ErrorState error={versions.error} retry={() => versions.refetch()} />}
        {versions.data?.length === 0 && (
          <EmptyState title="No versions yet" action={<LinkButton href={`/upload/?model=${m.id}`}>Upload the model file</LinkButton>}>
            A version holds one model file and its requirements. Upload one to build it.
          </EmptyState>
        )}
        {list.length > 0 && (
          <DataTable label="Versions" columns={["Tag", "Status", "Size", "SHA-256", "Created"]} className="min-w-[36rem]">
            {list.map((v) => (
              <tr key={v.id} data-testid="version-row">
                <td className="px-4 py-2 sm:px-2">
                  <Link className="font-medium text-indigo-700 hover:underline" href={`/version/?id=${v.id}`}>
                    {v.version_tag}
                  </Link>
                </td>
                <td className="px-2 py-2">
                  <StatusBadge status={v.status} />
                  {v.status === "Failed" && v.error && <p className="mt-1 max-w-xs truncate text-xs text-red-700" title={v.error}>{v.error}</p>}
                </td>
                <td className="px-2 py-2">{formatBytes(v.size_bytes)}</td>
                <td className="px-2 py-2 font-mono text-xs">{shortHash(v.sha256)}</td>
                <td className="px-2 py-2">{formatDate(v.created_at)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
      <ConfirmDialog open={confirming} title={`Delete ${m.name}?`} confirmLabel="Delete model" onConfirm={onDelete} onClose={() => setConfirming(false)} busy={remove.isPending}>
        Every version and its artifacts are deleted. This cannot be undone.
        {remove.error && <div className="mt-2"><Alert>{errorText(remove.error)}</Alert></div>}
      </ConfirmDialog>
    </>
  );
}

export default function ModelPage() {
  return (
    <Shell>
      <Suspense fallback={<LoadingState />}>
        <ModelView />
      </Suspense>
    </Shell>
  );
}
