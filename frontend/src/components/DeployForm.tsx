"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useCreateDeployment } from "@/hooks/queries/deployments";
import { errorText } from "@/lib/api";
import { Alert, Button, TextField } from "./ui";

/** Deploy a Ready version: fixed replicas or autoscaling, private or public. */
export function DeployForm({ versionId }: { versionId: number }) {
  const deploy = useCreateDeployment();
  const router = useRouter();
  const [autoscale, setAutoscale] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const num = (name: string) => Number(form.get(name));
    const created = await deploy.mutateAsync({
      version_id: versionId,
      replicas: autoscale ? 1 : num("replicas"),
      autoscaling: autoscale ? { min: num("min"), max: num("max"), target_in_flight: num("target") } : null,
      public: form.get("public") === "on",
    });
    router.push(`/deployment/?id=${created.id}`);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={autoscale} onChange={(e) => setAutoscale(e.target.checked)} className="h-4 w-4" />
        Autoscale with the load
      </label>
      {autoscale ? (
        <div className="grid grid-cols-3 gap-3">
          <TextField label="Min" name="min" type="number" min={1} max={10} defaultValue={1} />
          <TextField label="Max" name="max" type="number" min={1} max={10} defaultValue={3} />
          <TextField label="Target in flight" name="target" type="number" min={1} step="any" defaultValue={4} />
        </div>
      ) : (
        <TextField label="Replicas" name="replicas" type="number" min={1} max={10} defaultValue={1} />
      )}
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="public" className="h-4 w-4" />
        Public: anyone with the URL may predict (no key needed)
      </label>
      {deploy.error && <Alert>{errorText(deploy.error)}</Alert>}
      <Button type="submit" disabled={deploy.isPending}>
        {deploy.isPending ? "Deploying…" : "Deploy this version"}
      </Button>
    </form>
  );
}
