"use client";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState, type FormEvent } from "react";
import { Dropzone } from "@/components/Dropzone";
import { Shell } from "@/components/Shell";
import { Alert, Button, Card, ErrorState, LinkButton, LoadingState, PageHeader, ProgressBar, StatusBadge, TextField } from "@/components/ui";
import { useCreateDeployment } from "@/hooks/queries/deployments";
import { useModel, useUploadRules, useVersions } from "@/hooks/queries/models";
import { useVersion } from "@/hooks/queries/versions";
import { api, errorText, unwrap } from "@/lib/api";
import { useIdParam } from "@/lib/params";
import { uploadVersion, type UploadFiles } from "@/lib/upload";

const FIELD_TEXT: Record<string, [string, string]> = {
  model_file: ["Model file", "A fitted scikit-learn estimator or pipeline saved with joblib or pickle."],
  requirements_file: ["Requirements", "A requirements.txt with what the model needs beyond scikit-learn."],
  code_file: ["Code file", "Your own Python code the model imports (custom transformers): a .py, or an archive of modules."],
};

function fieldText(field: string): [string, string] {
  return FIELD_TEXT[field] ?? [field.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase()), "An extra file for the build."];
}

function nextTag(tags: string[]): string {
  const numbers = tags.map((t) => /^v(\d+)$/.exec(t)?.[1]).filter(Boolean).map(Number);
  return `v${numbers.length ? Math.max(...numbers) + 1 : tags.length + 1}`;
}

/** Seconds since `since`, ticking: the build's progress as far as the page can know it. */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <span className="tabular-nums text-slate-600">({Math.max(0, Math.round((now - since) / 1000))} s)</span>;
}

function BuildOutcome({ versionId }: { versionId: number }) {
  const version = useVersion(versionId);
  const [started] = useState(() => Date.now());
  const deploy = useCreateDeployment();
  const router = useRouter();
  if (!version.data) return <LoadingState label="Waiting for the build" />;
  const v = version.data;
  async function onDeploy() {
    const created = await deploy.mutateAsync({ version_id: v.id });
    router.push(`/deployment/?id=${created.id}`);
  }
  return (
    <div className="space-y-3" data-testid="build-outcome">
      <div className="flex items-center gap-2 text-sm">
        <span className="font-medium">Build</span> <StatusBadge status={v.status} />
      </div>
      {v.status === "Building" && (
        <p className="text-sm text-slate-700">
          Installing requirements, loading the model in a sandbox and checking that it predicts… <Elapsed since={started} />
        </p>
      )}
      {v.status === "Failed" && (
        <Alert>
          <p className="font-medium">The build failed</p>
          <p className="mt-1 break-words" data-testid="build-error">{v.error}</p>
          <p className="mt-2">Fix the files and upload them again as a new version.</p>
        </Alert>
      )}
      {v.status === "Failed" && (
        <LinkButton href={`/upload/?model=${v.model_id}&after=${v.id}`} tone="secondary">
          Upload a new version
        </LinkButton>
      )}
      {v.status === "Ready" && (
        <>
          <Alert tone="success">The model loads and predicts. Deploy it to get a live endpoint.</Alert>
          {deploy.error && <Alert>{errorText(deploy.error)}</Alert>}
          <div className="flex flex-wrap gap-2">
            <Button onClick={onDeploy} disabled={deploy.isPending}>{deploy.isPending ? "Deploying…" : "Deploy now"}</Button>
            <Link href={`/version/?id=${v.id}`} className="inline-flex items-center rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:underline">
              See the version’s signature
            </Link>
          </div>
        </>
      )}
    </div>
  );
}

function UploadForm() {
  const modelId = useIdParam("model");
  const model = useModel(modelId);
  const versions = useVersions(modelId);
  const rules = useUploadRules();
  const queryClient = useQueryClient();
  const [files, setFiles] = useState<UploadFiles>({});
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [versionId, setVersionId] = useState<number | null>(null);

  if (modelId && (model.isLoading || versions.isLoading)) return <LoadingState />;
  if (model.error) return <ErrorState error={model.error} />;
  if (rules.error) return <ErrorState error={rules.error} retry={() => rules.refetch()} />;
  const fields = Object.keys(rules.data ?? {});
  const suggestedTag = nextTag((versions.data ?? []).map((v) => v.version_tag));
  const busy = progress !== null && versionId === null;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    if (!files.model_file) return setError("Choose a model file to upload.");
    try {
      let id = modelId;
      if (!id) {
        const body = { name: String(form.get("name") ?? "").trim(), description: String(form.get("description") ?? "") };
        id = (await unwrap(api.POST("/api/v1/models", { body }))).id;
      }
      const tag = String(form.get("version_tag") ?? "").trim();
      const version = await unwrap(api.POST("/api/v1/models/{model_id}/versions", { params: { path: { model_id: id } }, body: { version_tag: tag } }));
      setProgress(0);
      await uploadVersion(version.id, files, (sent, total) => setProgress(sent / total));
      setProgress(1);
      setVersionId(version.id);
      queryClient.invalidateQueries({ queryKey: ["models"] });
    } catch (err) {
      setProgress(null);
      setError(errorText(err));
    }
  }

  return (
    <>
      <PageHeader
        title={model.data ? `New version of ${model.data.name}` : "Upload a model"}
        subtitle="KubeServe builds it in a sandbox: installs the requirements, loads the model and checks that it predicts."
        back={model.data ? { href: `/model/?id=${model.data.id}`, label: model.data.name } : { href: "/", label: "Models" }}
      />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Card>
          <form className="space-y-4" onSubmit={onSubmit} noValidate>
            {!modelId && (
              <>
                <TextField label="Model name" name="name" required placeholder="iris" pattern="[a-z0-9][a-z0-9-]*" hint="Lowercase letters, digits and dashes; it becomes part of the endpoint URL." />
                <TextField label="Description" name="description" placeholder="What it predicts (optional)" />
              </>
            )}
            <TextField label="Version tag" name="version_tag" required defaultValue={suggestedTag} key={suggestedTag} hint="Letters, digits, '.', '_' and '-'." />
            {rules.isLoading ? (
              <LoadingState label="Loading upload rules" />
            ) : (
              fields.map((field) => {
                const [label, help] = fieldText(field);
                return (
                  <Dropzone key={field} field={field} label={label} help={help} rule={rules.data?.[field]} file={files[field] ?? null} required={field === "model_file"} onChange={(file) => setFiles((f) => ({ ...f, [field]: file }))} />
                );
              })
            )}
            {error && <Alert>{error}</Alert>}
            {progress !== null && <ProgressBar value={progress} label={progress < 1 ? "Uploading" : "Uploaded"} />}
            <Button type="submit" disabled={busy || versionId !== null}>
              {busy ? "Uploading…" : "Upload and build"}
            </Button>
          </form>
        </Card>
        <Card title="What happens next">
          {versionId ? (
            <BuildOutcome versionId={versionId} />
          ) : (
            <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-700">
              <li>The files stream to the artifact store, checksummed.</li>
              <li>A sandboxed build installs what requirements.txt adds and loads the model.</li>
              <li>The version becomes Ready with its signature, or Failed with the reason.</li>
              <li>Deploy it: you get a live URL, snippets and a try-it form.</li>
            </ol>
          )}
        </Card>
      </div>
    </>
  );
}

/** A fresh form for each address (e.g. "upload a new version" after a failed build). */
function KeyedUploadForm() {
  return <UploadForm key={useSearchParams().toString()} />;
}

export default function UploadPage() {
  return (
    <Shell>
      <Suspense fallback={<LoadingState />}>
        <KeyedUploadForm />
      </Suspense>
    </Shell>
  );
}
