"use client";
import { useSearchParams } from "next/navigation";

/** The numeric id in `?name=` (pages of a static export take their ids from the query). */
export function useIdParam(name = "id"): number {
  const value = useSearchParams().get(name);
  const id = value && /^\d+$/.test(value) ? Number(value) : 0;
  return id;
}
