// Continue tokens for paginated lists: the revision of the first page (so every page reads the same
// snapshot) and the last key returned, relative to the collection prefix. Opaque to clients.

import { errors } from "../machinery/status.ts";

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url");
}

export function decodeContinue(token: string): { rv: number; start: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidToken();
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t?.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string" || t.rv <= 0)
    throw invalidToken();
  if (t.start.includes("..") || t.start.startsWith("/")) throw invalidToken();
  return { rv: t.rv, start: t.start };
}

function invalidToken() {
  return errors.badRequest(
    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
  );
}
