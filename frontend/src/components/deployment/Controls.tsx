"use client";
/** Scale, autoscaling and the public flag of a deployment. */
import { useState, type FormEvent } from "react";
import { useUpdateDeployment } from "@/hooks/queries/deployments";
import { errorText, type Deployment } from "@/lib/api";
import { Alert, Button, TextField } from "../ui";

type Autoscaling = { min: number; max: number; target_in_flight: number };

export function Controls({ deployment }: { deployment: Deployment }) {
  const update = useUpdateDeployment(deployment.id);
  const scaling = deployment.autoscaling as Autoscaling | null;
  const [autoscale, setAutoscale] = useState(scaling !== null);
  const [saved, setSaved] = useState<string | null>(null);

  async function onScale(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const num = (name: string) => Number(form.get(name));
    setSaved(null);
    await update.mutateAsync(
      autoscale
        ? { autoscaling: { min: num("min"), max: num("max"), target_in_flight: num("target") } }
        : { autoscaling: null, replicas: num("replicas") },
    );
    const replicas = num("replicas");
    setSaved(autoscale ? "Autoscaling saved." : replicas === 0 ? "Parked: no replica runs." : `Scaling to ${replicas} replica(s).`);
  }

  return (
    <div className="space-y-5">
      <form onSubmit={onScale} className="space-y-3" noValidate aria-label="Scaling">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={autoscale} onChange={(e) => setAutoscale(e.target.checked)} className="h-4 w-4" />
          Autoscale with requests in flight
        </label>
        {autoscale ? (
          <div className="grid grid-cols-3 gap-3">
            <TextField label="Min" name="min" id="scale-min" type="number" min={0} max={10} defaultValue={scaling?.min ?? 1} hint="0: scale to zero when idle" />
            <TextField label="Max" name="max" id="scale-max" type="number" min={1} max={10} defaultValue={scaling?.max ?? 3} />
            <TextField label="Target" name="target" id="scale-target" type="number" min={1} step="any" defaultValue={scaling?.target_in_flight ?? 4} />
          </div>
        ) : (
          <TextField label="Replicas" name="replicas" id="scale-replicas" type="number" min={0} max={10} defaultValue={deployment.replicas} hint="0 parks the deployment: no replica runs until you scale it up." />
        )}
        <Button type="submit" tone="secondary" disabled={update.isPending}>
          Apply
        </Button>
        {saved && !update.error && <p role="status" className="text-sm text-emerald-800">{saved}</p>}
      </form>
      <div className="flex items-center justify-between gap-3 border-t border-slate-100 pt-4">
        <div>
          <p className="text-sm font-medium text-slate-900" id="public-label">Public endpoint</p>
          <p className="text-xs text-slate-600">Anyone with the URL may predict, without a key.</p>
        </div>
        <button
          type="button"
          role="switch"
          aria-checked={deployment.public}
          aria-labelledby="public-label"
          disabled={update.isPending}
          onClick={() => update.mutate({ public: !deployment.public })}
          className={`relative h-6 w-11 shrink-0 rounded-full transition-colors ${deployment.public ? "bg-indigo-600" : "bg-slate-500"}`}
        >
          <span aria-hidden className={`absolute top-0.5 h-5 w-5 rounded-full bg-white shadow transition-transform ${deployment.public ? "translate-x-5" : "translate-x-0.5"}`} />
        </button>
      </div>
      {update.error && <Alert>{errorText(update.error)}</Alert>}
    </div>
  );
}
