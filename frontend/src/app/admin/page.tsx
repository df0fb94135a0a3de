"use client";
import { useState, type FormEvent } from "react";
import { Shell } from "@/components/Shell";
import { Alert, Button, Card, DataTable, EmptyState, ErrorState, LoadingState, PageHeader, TextField } from "@/components/ui";
import { useAdminUsers, useResetQuota, useSetQuota } from "@/hooks/queries/admin";
import { errorText, type AdminUser, type QuotaUpdate } from "@/lib/api";
import { useSession } from "@/lib/session";

/** "4*" when an admin set it, "4" when it is the platform default. */
function shown(user: AdminUser, field: "cpu" | "memory" | "pods") {
  const custom = user.custom_quota[field] !== null;
  return (
    <span className={custom ? "font-medium text-indigo-800" : undefined}>
      {user.quota[field]}
      {custom && <span title="set by an admin">*</span>}
    </span>
  );
}

function QuotaForm({ user, onDone }: { user: AdminUser; onDone: () => void }) {
  const save = useSetQuota();
  const reset = useResetQuota();
  const [invalid, setInvalid] = useState<string | null>(null);

  function onSave(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim() || null; // empty: the default
    const pods = text("pods");
    if (pods !== null && !/^\d+$/.test(pods)) {
      setInvalid("Replicas at once: a whole number, or empty for the platform default.");
      return;
    }
    setInvalid(null);
    const quota: QuotaUpdate = { cpu: text("cpu"), memory: text("memory"), pods: pods === null ? null : Number(pods) };
    save.mutate({ id: user.id, quota }, { onSuccess: onDone }); // a refusal shows in the Alert
  }

  function onReset() {
    reset.mutate(user.id, { onSuccess: onDone });
  }

  const error = save.error ?? reset.error;
  return (
    <Card title={`Quota of ${user.email}`} id="quota-form">
      <form onSubmit={onSave} className="space-y-3" noValidate>
        <TextField label="CPU" name="cpu" id="quota-cpu" defaultValue={user.custom_quota.cpu ?? ""} placeholder="default" hint="Cores (4, 1.5) or millicores (500m); empty: the platform default." />
        <TextField label="Memory" name="memory" id="quota-memory" defaultValue={user.custom_quota.memory ?? ""} placeholder="default" hint="8Gi, 512Mi…; empty: the platform default." />
        <TextField label="Replicas at once" name="pods" id="quota-pods" inputMode="numeric" defaultValue={user.custom_quota.pods ?? ""} placeholder="default" hint="All deployments together; empty: the platform default." />
        {invalid && <Alert>{invalid}</Alert>}
        {!invalid && error && <Alert>{errorText(error)}</Alert>}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={save.isPending}>Save quota</Button>
          <Button type="button" tone="secondary" onClick={onReset} disabled={reset.isPending}>Back to defaults</Button>
          <Button type="button" tone="secondary" onClick={onDone}>Cancel</Button>
        </div>
      </form>
    </Card>
  );
}

function Users() {
  const { user: me } = useSession();
  const users = useAdminUsers();
  const [editing, setEditing] = useState<number | null>(null);
  const selected = users.data?.find((u) => u.id === editing);

  if (me?.role !== "admin") {
    return (
      <EmptyState title="Admins only">An operator makes an admin with <code>kubeserve admin grant EMAIL</code> where the control plane runs.</EmptyState>
    );
  }
  return (
    <>
      <PageHeader title="Users" subtitle="Each user's quota (* = set by an admin) and what their deployments may run at once." />
      <div className="space-y-6">
        {selected && <QuotaForm key={selected.id} user={selected} onDone={() => setEditing(null)} />}
        <Card title="Users and quotas" id="users">
          {users.isLoading && <LoadingState label="Loading users" />}
          {users.error && <ErrorState error={users.error} retry={() => users.refetch()} />}
          {users.data && (
            <DataTable label="Users" testId="users" columns={["Email", "Role", "CPU", "Memory", "Replicas", "In use", <span className="sr-only">Actions</span>]}>
              {users.data.map((u) => (
                <tr key={u.id} data-testid="user-row">
                  <td className="break-all px-4 py-2 font-medium sm:px-2">{u.email}</td>
                  <td className="px-2 py-2">{u.role}</td>
                  <td className="px-2 py-2">{shown(u, "cpu")}</td>
                  <td className="px-2 py-2">{shown(u, "memory")}</td>
                  <td className="px-2 py-2">{shown(u, "pods")}</td>
                  <td className="whitespace-nowrap px-2 py-2">{u.usage.replicas} replicas, {u.usage.deployments} deployments</td>
                  <td className="px-2 py-2 text-right">
                    <Button tone="secondary" onClick={() => setEditing(u.id)} aria-label={`Edit the quota of ${u.email}`}>Edit</Button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </Card>
      </div>
    </>
  );
}

export default function AdminPage() {
  return (
    <Shell>
      <Users />
    </Shell>
  );
}
