/** Reading a version's signature (recorded by the sandboxed build) and shaping requests from it. */
import type { Version } from "./api";

export type Signature = {
  estimator?: string;
  n_features_in?: number | null;
  feature_names?: string[] | null;
  classes?: unknown[] | null;
  methods?: string[];
  output?: { shape: number[]; dtype: string } | null;
  outputs?: Record<string, { datatype: string; shape: number[] }>;
  sample_input?: unknown[][];
  sample_output?: unknown;
  versions?: Record<string, string | null>;
  notes?: string[];
  pickle_modules?: string[];
};

export type Feature = { name: string; type: string; example: unknown };

export function signatureOf(version: Version | undefined): Signature | null {
  return (version?.signature as Signature | null | undefined) ?? null;
}

/** Numbers reach the model as float64 whatever their JSON form; other columns keep their kind. */
function typeOf(value: unknown): string {
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  return "number (float64)";
}

/** One entry per input column: its name (or position) and type, with the build's sample value. */
export function features(sig: Signature | null): Feature[] {
  if (!sig) return [];
  const sample = Array.isArray(sig.sample_input?.[0]) ? (sig.sample_input![0] as unknown[]) : [];
  const count = sig.feature_names?.length ?? sig.n_features_in ?? sample.length;
  return Array.from({ length: count }, (_, i) => ({
    name: sig.feature_names?.[i] ?? `feature ${i}`,
    type: typeOf(sample[i]),
    example: sample[i] ?? 0,
  }));
}

/** DataFrame models take records keyed by feature name; the others take rows of numbers. */
export function isFrame(sig: Signature | null): boolean {
  return Boolean(sig?.feature_names?.length);
}

export function exampleRows(sig: Signature | null): unknown[] {
  const feats = features(sig);
  if (isFrame(sig)) return [Object.fromEntries(feats.map((f) => [f.name, f.example]))];
  return [feats.map((f) => f.example)];
}
