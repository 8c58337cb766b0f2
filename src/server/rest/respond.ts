// Writing responses: JSON bodies with the right status and headers, Status errors, Warning headers.

import type { RequestContext } from "../../apis/types.ts";
import type { StatusError, Status } from "../../machinery/status.ts";

const JSON_TYPE = "application/json";

export function jsonResponse(
  body: unknown,
  status = 200,
  ctx?: RequestContext,
  extra?: Record<string, string>,
): Response {
  return jsonTextResponse(JSON.stringify(body), status, ctx, extra);
}

/** jsonResponse for a body already serialised. */
export function jsonTextResponse(
  json: string,
  status = 200,
  ctx?: RequestContext,
  extra?: Record<string, string>,
): Response {
  const headers = new Headers({ "Content-Type": JSON_TYPE });
  if (ctx) for (const w of ctx.warnings) headers.append("Warning", warningHeaderValue(w));
  if (extra) for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(json, { status, headers });
}

/**
 * A Warning header (`299 - "<text>"`). Warnings quote what the client sent (unknown field names,
 * values), which may be any Unicode: the header carries the text's UTF-8 bytes, as Go writes it,
 * since a header value holds bytes only (a character past U+00FF would fail the whole answer).
 */
export function warningHeaderValue(text: string): string {
  return Buffer.from(`299 - ${JSON.stringify(text)}`, "utf8").toString("latin1");
}

export function errorResponse(err: StatusError): Response {
  const headers = new Headers({ "Content-Type": JSON_TYPE, "Cache-Control": "no-cache, private" });
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) headers.set(k, v);
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers });
}

export function successStatus(details: Status["details"]): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 } as Status;
}
