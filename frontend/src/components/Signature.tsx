"use client";
import type { ReactNode } from "react";
import { features, type Signature } from "@/lib/signature";
import { Dl, DataTable } from "./ui";

function Chips({ items }: { items: ReactNode[] }) {
  return (
    <ul className="flex flex-wrap gap-1">
      {items.map((item, i) => (
        <li key={i} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800">
          {item}
        </li>
      ))}
    </ul>
  );
}

export function SignatureView({ sig }: { sig: Signature }) {
  const feats = features(sig);
  return (
    <div className="space-y-5">
      <Dl
        items={[
          ["Estimator", <code key="e" className="break-all text-xs">{sig.estimator ?? "—"}</code>],
          ["Input", sig.feature_names?.length ? `a table of ${feats.length} named columns (DataFrame)` : `rows of ${feats.length} numbers`],
          ["Methods", <Chips key="m" items={sig.methods ?? []} />],
          ["Classes", sig.classes ? <Chips key="c" items={sig.classes.map(String)} /> : "— (a regressor or transformer)"],
          ["Output", sig.output ? `${sig.output.dtype}, shape [${sig.output.shape.join(", ")}]` : "—"],
          ["Libraries", <Chips key="v" items={Object.entries(sig.versions ?? {}).map(([k, v]) => `${k} ${v ?? "?"}`)} />],
        ]}
      />
      <div>
        <h3 className="mb-2 text-sm font-semibold text-slate-900">Features</h3>
        <DataTable label="Features" columns={["#", "Name", "Type", "Example"]} testId="features">
          {feats.map((f, i) => (
            <tr key={f.name}>
              <td className="px-4 py-1.5 text-slate-600 sm:px-2">{i}</td>
              <td className="px-2 py-1.5 font-mono text-xs">{f.name}</td>
              <td className="px-2 py-1.5">{f.type}</td>
              <td className="px-2 py-1.5 font-mono text-xs">{JSON.stringify(f.example)}</td>
            </tr>
          ))}
        </DataTable>
      </div>
      {(sig.notes?.length ?? 0) > 0 && (
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-900">Notes from the build</h3>
          <ul className="list-disc space-y-1 pl-5 text-sm text-slate-700" data-testid="build-notes">
            {sig.notes!.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
