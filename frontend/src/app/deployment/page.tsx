"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Suspense, useState } from "react";
import { Controls } from "@/components/deployment/Controls";
import { Endpoint } from "@/components/deployment/Endpoint";
import { Logs } from "@/components/deployment/Logs";
import { Releases } from "@/components/deployment/Releases";
import { Stats } from "@/components/deployment/Stats";
import { TryIt } from "@/components/deployment/TryIt";
import { Shell } from "@/components/Shell";
import { Alert, Button, Card, ConfirmDialog, ErrorState, LoadingState, PageHeader, StatusBadge } from "@/components/ui";
import { useDeleteDeployment, useDeployment } from "@/hooks/queries/deployments";
import { useVersion } from "@/hooks/queries/versions";
import { errorText } from "@/lib/api";
import { useIdParam } from "@/lib/params";
import { signatureOf } from "@/lib/signature";

function DeploymentView() {
  const id = useIdParam();
  const deployment = useDeployment(id);
  const version = useVersion(deployment.data?.version_id ?? 0);
  const remove = useDeleteDeployment(id);
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);

  if (!id) return <ErrorState error="No deployment id in the address." />;
  if (deployment.isLoading) return <LoadingState label="Loading the deployment" />;
  if (deployment.error) return <ErrorState error={deployment.error} retry={() => deployment.refetch()} />;
  const d = deployment.data!;
  const sig = signatureOf(version.data);

  async function onDelete() {
    await remove.mutateAsync(undefined);
    router.replace("/deployments/");
  }

  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-3">
            {d.model_name} <span className="text-slate-500">{d.version_tag}</span> <StatusBadge status={d.status} />
          </span>
        }
        subtitle={
          <span className="flex flex-wrap gap-x-4">
            <span className="font-mono text-xs">{d.name}</span>
            <span data-testid="replicas">
              {d.ready_replicas}/{d.desired_replicas || d.replicas} replicas ready
            </span>
            <span>release #{d.release}</span>
            {d.autoscaling && <span>autoscaled</span>}
            <span>{d.public ? "public" : "private"}</span>
          </span>
        }
        back={{ href: "/deployments/", label: "Deployments" }}
        actions={
          <>
            <Link href={`/version/?id=${d.version_id}`} className="inline-flex items-center rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:underline">
              Version details
            </Link>
            <Button tone="danger" onClick={() => setConfirming(true)}>
              Delete deployment
            </Button>
          </>
        }
      />
      {d.status === "Failed" && d.error && (
        <div className="mb-6">
          <Alert>
            <span className="font-medium">The deployment failed: </span>
            {d.error}
          </Alert>
        </div>
      )}
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-2">
        <Card title="Endpoint" id="endpoint">
          {version.data ? <Endpoint deployment={d} sig={sig} /> : <LoadingState label="Loading the model's signature" />}
        </Card>
        <Card title="Try it" id="tryit">
          {!version.data ? (
            <LoadingState label="Loading the model's signature" />
          ) : d.status === "Running" || d.status === "Idle" ? (
            <TryIt deployment={d} sig={sig} key={d.version_id} />
          ) : (
            <p className="text-sm text-slate-600">
              {d.status === "Stopped" ? "The deployment is parked (0 replicas): scale it up to try it." : `The form is ready once a replica is running (${d.status.toLowerCase()} now).`}
            </p>
          )}
        </Card>
        <div className="lg:col-span-2">
          <Card title="Live stats" id="stats">
            <Stats deploymentId={d.id} />
          </Card>
        </div>
        <Card title="Scaling and access" id="scaling">
          <Controls deployment={d} key={`${d.replicas}-${d.autoscaling ? 1 : 0}`} />
        </Card>
        <Card title="Releases" id="releases">
          <Releases deployment={d} />
        </Card>
        <div className="lg:col-span-2">
          <Card title="Logs" id="logs">
            <Logs deploymentId={d.id} />
          </Card>
        </div>
      </div>
      <ConfirmDialog open={confirming} title={`Delete ${d.name}?`} confirmLabel="Delete deployment" onConfirm={onDelete} onClose={() => setConfirming(false)} busy={remove.isPending}>
        Its replicas stop and the URL answers 404. The model and its versions stay.
        {remove.error && <div className="mt-2"><Alert>{errorText(remove.error)}</Alert></div>}
      </ConfirmDialog>
    </>
  );
}

export default function DeploymentPage() {
  return (
    <Shell>
      <Suspense fallback={<LoadingState />}>
        <DeploymentView />
      </Suspense>
    </Shell>
  );
}
