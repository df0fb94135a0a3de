"use client";
import { useState, type FormEvent } from "react";
import { Shell } from "@/components/Shell";
import { Alert, Button, Card, ConfirmDialog, CopyButton, EmptyState, ErrorState, LoadingState, PageHeader, DataTable, TextField } from "@/components/ui";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "@/hooks/queries/apiKeys";
import { errorText, type ApiKey, type ApiKeyCreated } from "@/lib/api";
import { formatDate } from "@/lib/format";

function Keys() {
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [fresh, setFresh] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("name") ?? "").trim();
    setFresh(await create.mutateAsync(name));
    form.reset();
  }

  async function onRevoke() {
    if (!revoking) return;
    await revoke.mutateAsync(revoking.id);
    if (fresh?.id === revoking.id) setFresh(null);
    setRevoking(null);
  }

  return (
    <>
      <PageHeader title="API keys" subtitle="Programs call your private endpoints with a key in the X-API-Key header." />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
        <Card title="Create a key" id="create-key">
          <form onSubmit={onCreate} className="space-y-3" noValidate>
            <TextField label="Name" name="name" id="key-name" required maxLength={100} placeholder="e.g. billing-service" hint="Who or what will use it." />
            {create.error && <Alert>{errorText(create.error)}</Alert>}
            <Button type="submit" disabled={create.isPending}>Create key</Button>
          </form>
          {fresh && (
            <div className="mt-4 space-y-2 rounded-md bg-amber-50 p-3 ring-1 ring-amber-200" data-testid="new-key">
              <p className="text-sm font-medium text-amber-900">Copy “{fresh.name}” now: it is shown only once.</p>
              <div className="flex items-center gap-2">
                <code className="min-w-0 flex-1 break-all rounded bg-white px-2 py-1 text-xs" data-testid="new-key-value">{fresh.key}</code>
                <CopyButton text={fresh.key} label="Copy key" />
              </div>
              <Button tone="secondary" onClick={() => setFresh(null)}>I have saved it</Button>
            </div>
          )}
        </Card>
        <Card title="Your keys" id="keys">
          {keys.isLoading && <LoadingState label="Loading keys" />}
          {keys.error && <ErrorState error={keys.error} retry={() => keys.refetch()} />}
          {keys.data?.length === 0 && (
            <EmptyState title="No API keys">Create one for each program that calls your endpoints, so you can revoke them one by one.</EmptyState>
          )}
          {keys.data && keys.data.length > 0 && (
            <DataTable label="API keys" columns={["Name", "Key", "Created", "Last used", <span className="sr-only">Actions</span>]}>
              {keys.data.map((k) => (
                <tr key={k.id} data-testid="key-row">
                  <td className="px-4 py-2 font-medium sm:px-2">{k.name}</td>
                  <td className="px-2 py-2 font-mono text-xs">{k.prefix}…</td>
                  <td className="whitespace-nowrap px-2 py-2">{formatDate(k.created_at)}</td>
                  <td className="whitespace-nowrap px-2 py-2">{formatDate(k.last_used_at)}</td>
                  <td className="px-2 py-2 text-right">
                    <Button tone="secondary" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>Revoke</Button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </Card>
      </div>
      <ConfirmDialog open={revoking !== null} title={`Revoke ${revoking?.name ?? ""}?`} confirmLabel="Revoke key" onConfirm={onRevoke} onClose={() => setRevoking(null)} busy={revoke.isPending}>
        Programs using this key get 401 at once.
        {revoke.error && <div className="mt-2"><Alert>{errorText(revoke.error)}</Alert></div>}
      </ConfirmDialog>
    </>
  );
}

export default function KeysPage() {
  return (
    <Shell>
      <Keys />
    </Shell>
  );
}
