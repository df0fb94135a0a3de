"use client";
import { useState } from "react";
import type { Deployment } from "@/lib/api";
import type { Signature } from "@/lib/signature";
import { snippets } from "@/lib/snippets";
import { CopyButton } from "../ui";

export function Endpoint({ deployment, sig }: { deployment: Deployment; sig: Signature | null }) {
  const all = snippets(deployment, sig);
  const [current, setCurrent] = useState(all[0].id);
  const shown = all.find((s) => s.id === current) ?? all[0];
  return (
    <div className="space-y-4">
      <div className="flex items-center gap-2">
        <code className="min-w-0 flex-1 break-all rounded-md bg-slate-100 px-3 py-2 text-sm" data-testid="live-url">
          {deployment.url}
        </code>
        <CopyButton text={deployment.url} label="Copy URL" />
      </div>
      <p className="text-sm text-slate-600">
        {deployment.public ? "Public: anyone with the URL may call it." : "Private: send your bearer token or an API key (X-API-Key). Create keys on the API keys page."}
      </p>
      <div>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <div role="group" aria-label="Snippet language" className="flex flex-wrap gap-1">
            {all.map((s) => (
              <button key={s.id} type="button" aria-pressed={s.id === current} onClick={() => setCurrent(s.id)} className={`rounded-md px-3 py-1.5 text-sm font-medium ${s.id === current ? "bg-slate-900 text-white" : "text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"}`}>
                {s.label}
              </button>
            ))}
          </div>
          <CopyButton text={shown.code} label="Copy snippet" />
        </div>
        <pre className="mt-2 max-h-80 overflow-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100" data-testid={`snippet-${shown.id}`} tabIndex={0} aria-label={`${shown.label} snippet`}>
          {shown.code}
        </pre>
      </div>
    </div>
  );
}
