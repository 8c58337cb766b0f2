// What every answer must be, whatever was sent: 2xx or 4xx (never 5xx, never no answer), and a
// 4xx carries a Kubernetes Status whose code is the HTTP status. The fuzzer sets no short request
// timeout, so even 503/504 are failures here.

import type { Answer } from "./send.ts";
import type { FuzzRequest } from "./requests.ts";

const HEALTH_CHECK = /^(https?:\/\/[^/]+)?(\/clusters\/[^/]+)?\/(healthz|livez|readyz)\//;

/**
 * kube's answer to a read at a resourceVersion the store has not reached: 504 Timeout with cause
 * ResourceVersionTooLarge (kube waits up to 3 s for it first). Documented, so not a failure.
 */
function tooLargeResourceVersion(ans: Answer): boolean {
  if (ans.status !== 504) return false;
  try {
    const s = JSON.parse(Buffer.from(ans.body).toString("utf8"));
    return (
      s?.kind === "Status" && s.reason === "Timeout" && s.details?.causes?.[0]?.reason === "ResourceVersionTooLarge"
    );
  } catch {
    return false;
  }
}

export function judge(req: FuzzRequest, ans: Answer): string | undefined {
  if (ans.error) return `no answer: ${ans.error}`;
  if (tooLargeResourceVersion(ans)) return undefined;
  // The same answer to HEAD has no body to show its cause: a numeric resourceVersion must be asked for.
  if (ans.status === 504 && req.method === "HEAD" && /[?&]resourceVersion=\d{10,}/.test(req.target)) return undefined;
  if (ans.status >= 500) return `${ans.status}: ${preview(ans.body)}`;
  if (ans.status < 200 || (ans.status >= 300 && ans.status < 400)) return `unexpected status ${ans.status}`;
  if (ans.status >= 400) {
    if (req.method === "HEAD") return undefined;
    // kube's health mux answers an unknown check with Go's plain `404 page not found`, not a Status.
    if (
      ans.status === 404 &&
      HEALTH_CHECK.test(req.target) &&
      Buffer.from(ans.body).toString() === "404 page not found\n"
    )
      return undefined;
    let status: { kind?: unknown; code?: unknown; apiVersion?: unknown };
    try {
      status = JSON.parse(Buffer.from(ans.body).toString("utf8"));
    } catch {
      return `${ans.status} whose body is not JSON (${ans.contentType}): ${preview(ans.body)}`;
    }
    if (status?.kind !== "Status" || status.apiVersion !== "v1")
      return `${ans.status} whose body is not a Status: ${preview(ans.body)}`;
    if (status.code !== ans.status) return `${ans.status} whose Status has code ${String(status.code)}`;
    if (!/application\/json/.test(ans.contentType)) return `${ans.status} Status with content type ${ans.contentType}`;
  }
  return undefined;
}

export function preview(body: Uint8Array, max = 300): string {
  const text = Buffer.from(body.subarray(0, max)).toString("utf8");
  return body.length > max ? `${text}…` : text;
}
