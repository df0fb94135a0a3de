"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Suspense, useState } from "react";
import { DeployForm } from "@/components/DeployForm";
import { Shell } from "@/components/Shell";
import { SignatureView } from "@/components/Signature";
import { Alert, Button, Card, ConfirmDialog, CopyButton, Dl, ErrorState, LoadingState, PageHeader, StatusBadge } from "@/components/ui";
import { useModel } from "@/hooks/queries/models";
import { useDeleteVersion, useVersion, useVersionDeployments } from "@/hooks/queries/versions";
import { errorText } from "@/lib/api";
import { formatDate } from "@/lib/format";
import { useIdParam } from "@/lib/params";
import { signatureOf } from "@/lib/signature";
import { formatBytes } from "@/lib/upload";

function VersionView() {
  const id = useIdParam();
  const version = useVersion(id);
  const model = useModel(version.data?.model_id ?? 0);
  const deployments = useVersionDeployments(id);
  const remove = useDeleteVersion();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);

  if (!id) return <ErrorState error="No version id in the address." />;
  if (version.isLoading) return <LoadingState label="Loading the version" />;
  if (version.error) return <ErrorState error={version.error} retry={() => version.refetch()} />;
  const v = version.data!;
  const sig = signatureOf(v);
  const modelName = model.data?.name ?? "model";

  async function onDelete() {
    await remove.mutateAsync(v.id);
    router.replace(`/model/?id=${v.model_id}`);
  }

  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-3">
            {modelName} {v.version_tag} <StatusBadge status={v.status} />
          </span>
        }
        subtitle={`Uploaded ${formatDate(v.created_at)}`}
        back={{ href: `/model/?id=${v.model_id}`, label: modelName }}
        actions={
          <Button tone="secondary" onClick={() => setConfirming(true)}>
            Delete version
          </Button>
        }
      />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="space-y-6">
          {v.status === "Failed" && (
            <Alert>
              <p className="font-medium">The build failed</p>
              <p className="mt-1 break-words" data-testid="build-error">{v.error}</p>
            </Alert>
          )}
          {v.status === "Building" && <Alert tone="info">Building: installing requirements, loading the model and checking that it predicts…</Alert>}
          <Card title="Artifact" id="artifact">
            <Dl
              items={[
                ["Size", formatBytes(v.size_bytes)],
                [
                  "SHA-256",
                  v.sha256 ? (
                    <span className="flex items-start gap-2">
                      <code className="min-w-0 break-all text-xs" data-testid="sha256">{v.sha256}</code>
                      <CopyButton text={v.sha256} label="Copy checksum" />
                    </span>
                  ) : (
                    "—"
                  ),
                ],
                ["Stored at", <code key="p" className="break-all text-xs">{v.s3_path ?? "—"}</code>],
                ["Updated", formatDate(v.updated_at)],
              ]}
            />
          </Card>
          <Card title="Signature" id="signature">
            {sig ? <SignatureView sig={sig} /> : <p className="text-sm text-slate-600">The signature is recorded when the build succeeds.</p>}
          </Card>
        </div>
        <div className="space-y-6">
          <Card title="Deployments of this version" id="deployments">
            {deployments.data?.length ? (
              <ul className="space-y-2 text-sm">
                {deployments.data.map((d) => (
                  <li key={d.id} className="flex items-center justify-between gap-2">
                    <Link className="font-mono text-xs text-indigo-700 hover:underline" href={`/deployment/?id=${d.id}`}>
                      {d.name}
                    </Link>
                    <StatusBadge status={d.status} />
                  </li>
                ))}
              </ul>
            ) : (
              <p className="text-sm text-slate-600">{v.status === "Ready" ? "Not deployed yet: deploy it below." : "A version can be deployed once it is Ready."}</p>
            )}
          </Card>
          {v.status === "Ready" && (
            <Card title="Deploy" id="deploy">
              <DeployForm versionId={v.id} />
            </Card>
          )}
        </div>
      </div>
      <ConfirmDialog open={confirming} title={`Delete ${v.version_tag}?`} confirmLabel="Delete version" onConfirm={onDelete} onClose={() => setConfirming(false)} busy={remove.isPending}>
        The artifact is deleted. This cannot be undone.
        {remove.error && <div className="mt-2"><Alert>{errorText(remove.error)}</Alert></div>}
      </ConfirmDialog>
    </>
  );
}

export default function VersionPage() {
  return (
    <Shell>
      <Suspense fallback={<LoadingState />}>
        <VersionView />
      </Suspense>
    </Shell>
  );
}
