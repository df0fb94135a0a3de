/** Upload a version's files with XMLHttpRequest: fetch() cannot report upload progress. */
import { ApiError, csrfHeaders, describeError, type UploadRule, type Version } from "./api";

export type UploadFiles = Record<string, File | null>;

/** Why `file` would be refused by `rule` (type or size), or null if it is fine. */
export function refusal(file: File, rule: UploadRule | undefined): string | null {
  if (!rule) return null;
  const name = file.name.toLowerCase();
  if (!rule.extensions.some((extension) => name.endsWith(extension))) {
    return `${file.name} is not a ${rule.extensions.join(", ")} file.`;
  }
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > rule.max_bytes) {
    return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(rule.max_bytes)}.`;
  }
  return null;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function uploadVersion(
  versionId: number,
  files: UploadFiles,
  onProgress: (sent: number, total: number) => void,
): Promise<Version> {
  const form = new FormData();
  for (const [field, file] of Object.entries(files)) if (file) form.append(field, file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/versions/${versionId}/upload`);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(csrfHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: described by status below */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Version);
      else reject(new ApiError(xhr.status, describeError((body as { detail?: unknown })?.detail, xhr.status)));
    };
    xhr.onerror = () => reject(new ApiError(0, "The upload was interrupted: the connection failed."));
    xhr.send(form);
  });
}
