// Renders a StatusError as the HTTP response kube-apiserver would send: the Status object as JSON,
// with the error's code as the HTTP status and any headers it carries (e.g. Retry-After).

import type { StatusError } from "../machinery/status.ts";

export function statusResponse(err: StatusError, extraHeaders?: Record<string, string>): Response {
  const headers = new Headers(extraHeaders);
  headers.set("Content-Type", "application/json");
  for (const [k, v] of Object.entries(err.headers ?? {})) headers.set(k, v);
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers });
}
