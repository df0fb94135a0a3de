"use client";
/** A form generated from the signature: one field per named feature, or rows of numbers. */
import { useState, type FormEvent } from "react";
import { csrfHeaders, describeError, type Deployment } from "@/lib/api";
import { features, isFrame, type Signature } from "@/lib/signature";
import { Alert, Button, TextField } from "../ui";

type Outcome = { status: number; body: unknown; ms: number };

function parseRows(text: string): number[][] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, i) =>
      line.split(/[,\s]+/).map((cell) => {
        const value = Number(cell);
        if (cell === "" || Number.isNaN(value)) throw new Error(`row ${i + 1}: ${JSON.stringify(cell)} is not a number`);
        return value;
      }),
    );
}

export function TryIt({ deployment, sig }: { deployment: Deployment; sig: Signature | null }) {
  const feats = features(sig);
  const frame = isFrame(sig);
  const methods = sig?.methods ?? ["predict"];
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setProblem(null);
    let data: unknown;
    try {
      data = frame
        ? [Object.fromEntries(feats.map((f, i) => {
            const raw = String(form.get(`f${i}`) ?? "");
            return [f.name, f.type.startsWith("number") ? Number(raw) : raw];
          }))]
        : parseRows(String(form.get("rows") ?? ""));
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
      return;
    }
    setBusy(true);
    setOutcome(null);
    const started = performance.now();
    try {
      const response = await fetch(`/api/v1/predict/${deployment.name}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", ...csrfHeaders() },
        body: JSON.stringify({ data, method: form.get("method") ?? "predict" }),
      });
      const body = await response.json().catch(() => null);
      setOutcome({ status: response.status, body, ms: performance.now() - started });
    } catch {
      setProblem("The request did not reach the control plane.");
    } finally {
      setBusy(false);
    }
  }

  const ok = outcome && outcome.status < 300;
  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      {frame ? (
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          {feats.map((f, i) => (
            <TextField key={f.name} label={f.name} name={`f${i}`} id={`tryit-f${i}`} type={f.type.startsWith("number") ? "number" : "text"} step="any" defaultValue={String(f.example)} hint={f.type} />
          ))}
        </div>
      ) : (
        <div>
          <label htmlFor="tryit-rows" className="block text-sm font-medium text-slate-800">
            Rows ({feats.length} numbers each, one row per line)
          </label>
          <textarea id="tryit-rows" name="rows" rows={3} defaultValue={feats.map((f) => f.example).join(", ")} className="mt-1 block w-full rounded-md px-3 py-2 font-mono text-sm ring-1 ring-slate-300 focus:ring-2 focus:ring-indigo-600" />
          <p className="mt-1 text-xs text-slate-600">Features: {feats.map((f) => f.name).join(", ")}.</p>
        </div>
      )}
      <div className="flex flex-wrap items-end gap-3">
        {methods.length > 1 && (
          <div>
            <label htmlFor="tryit-method" className="block text-sm font-medium text-slate-800">Method</label>
            <select id="tryit-method" name="method" className="mt-1 rounded-md px-3 py-2 text-sm ring-1 ring-slate-300">
              {methods.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
        )}
        <Button type="submit" disabled={busy}>{busy ? "Predicting…" : "Predict"}</Button>
      </div>
      {problem && <Alert>{problem}</Alert>}
      {outcome && (
        <div className={`rounded-md p-3 text-sm ring-1 ${ok ? "bg-slate-50 ring-slate-200" : "bg-red-50 ring-red-200"}`} data-testid="prediction">
          <p className="mb-1 text-slate-700">
            {ok ? "Prediction" : `Error ${outcome.status}`} · <span data-testid="latency">{outcome.ms.toFixed(1)} ms</span> round trip
          </p>
          {ok ? (
            <pre className="overflow-x-auto font-mono text-sm" data-testid="predictions">{JSON.stringify((outcome.body as { predictions?: unknown })?.predictions ?? outcome.body)}</pre>
          ) : (
            <p className="text-red-800">{describeError((outcome.body as { detail?: unknown })?.detail, outcome.status)}</p>
          )}
        </div>
      )}
    </form>
  );
}
