/** The one typed client of the control plane, generated from its OpenAPI document. */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api-schema";

export type Schemas = components["schemas"];
export type User = Schemas["UserRead"];
export type Model = Schemas["ModelRead"];
export type Version = Schemas["VersionRead"];
export type Deployment = Schemas["DeploymentRead"];
export type Release = Schemas["ReleaseRead"];
export type ApiKey = Schemas["ApiKeyRead"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type UploadRule = Schemas["UploadRule"];
export type AdminUser = Schemas["AdminUserRead"];
export type QuotaUpdate = Schemas["QuotaUpdate"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
let csrfToken: string | null = null;

/** The session's CSRF token lives in memory only; the session itself is an httpOnly cookie. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { "X-CSRF-Token": csrfToken } : {};
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken) request.headers.set("X-CSRF-Token", csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A sentence from FastAPI's `{"detail": ...}`: a string, or a list of field errors. */
export function describeError(detail: unknown, status: number): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((e: { loc?: unknown[]; msg?: string }) => {
        const field = (e.loc ?? []).filter((p) => p !== "body").join(".");
        const msg = (e.msg ?? "invalid").replace(/^(Value error, |String )/, "");
        return field ? `${field}: ${msg}` : msg;
      })
      .join("; ");
  }
  if (status === 0) return "The control plane cannot be reached. Is it running?";
  return `The server answered ${status}.`;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a call, or an ApiError carrying the server's explanation. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, describeError(undefined, 0));
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const detail = (error as { detail?: unknown } | undefined)?.detail;
    throw new ApiError(response.status, describeError(detail, response.status));
  }
  return data as T;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
