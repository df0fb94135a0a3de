"use client";
/** One file slot: drop a file on it or choose one with the keyboard; says at once why a file is refused. */
import { useId, useState, type DragEvent } from "react";
import type { UploadRule } from "@/lib/api";
import { formatBytes, refusal } from "@/lib/upload";

type Props = {
  field: string;
  label: string;
  help: string;
  rule: UploadRule | undefined;
  file: File | null;
  required?: boolean;
  onChange: (file: File | null) => void;
};

export function Dropzone({ field, label, help, rule, file, required, onChange }: Props) {
  const id = useId();
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  function take(candidate: File | undefined) {
    if (!candidate) return;
    const why = refusal(candidate, rule);
    setProblem(why);
    onChange(why ? null : candidate);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setOver(false);
    take(event.dataTransfer.files[0]);
  }

  const accept = rule?.extensions.join(",");
  return (
    <div>
      <div
        data-testid={`drop-${field}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        className={`rounded-lg border-2 border-dashed p-4 transition-colors ${over ? "border-indigo-500 bg-indigo-50" : problem ? "border-red-400 bg-red-50" : file ? "border-emerald-400 bg-emerald-50" : "border-slate-300 bg-white"}`}
      >
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div className="min-w-0">
            <p className="text-sm font-medium text-slate-900">
              {label} {required ? <span className="text-red-700">(required)</span> : <span className="font-normal text-slate-600">(optional)</span>}
            </p>
            <p className="text-xs text-slate-600" id={`${id}-help`}>
              {file ? `${file.name} · ${formatBytes(file.size)}` : `${help} Drop it here or choose it.`}
              {rule && !file && ` ${rule.extensions.join(", ")}, up to ${formatBytes(rule.max_bytes)}.`}
            </p>
          </div>
          <div className="flex gap-2">
            {file && (
              <button type="button" className="rounded-md px-2 py-1 text-sm text-slate-700 underline" onClick={() => onChange(null)}>
                Remove
              </button>
            )}
            <input
              id={id}
              name={field}
              type="file"
              accept={accept}
              className="peer sr-only"
              aria-describedby={`${id}-help`}
              onChange={(e) => {
                take(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
            <label htmlFor={id} className="cursor-pointer rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50 peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-indigo-600">
              Choose {label.toLowerCase()}
            </label>
          </div>
        </div>
      </div>
      {problem && (
        <p role="alert" className="mt-1 text-sm text-red-700" data-testid={`refused-${field}`}>
          {problem}
        </p>
      )}
    </div>
  );
}
