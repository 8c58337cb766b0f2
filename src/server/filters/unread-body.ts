// Filter 0a, bodies no one read: an answer given before the request's body was read (a 401 to a
// client still sending, a 413 from its Content-Length) first drops what is left of the body, for a
// short grace, so the client gets its answer and its connection serves the next request, as with
// kube-apiserver (Go's server discards a bounded rest of an unread body too). A body still arriving
// after the grace, or one a handler stopped reading halfway (a 504 mid-body), closes the connection
// with the answer: no client holds a connection by trickling a body no one reads, and nothing of a
// hostile body is left to be taken for the next request. Every other answer, errors included, keeps
// the connection alive.

import type { MiddlewareHandler } from "hono";
import { bodyFullyRead, discardBody } from "../rest/body.ts";
import type { Env } from "./env.ts";

/** How long an unread body may take to arrive in full before its connection is closed instead. */
export const UNREAD_BODY_GRACE_MS = 1000;

/** Whether the request says a body follows its headers. */
function hasBody(req: Request): boolean {
  if (req.headers.has("transfer-encoding")) return true;
  const length = req.headers.get("content-length");
  return length !== null && length.trim() !== "0";
}

export const unreadBodyFilter: MiddlewareHandler<Env> = async (c, next) => {
  await next();
  const req = c.req.raw;
  if (!hasBody(req) || bodyFullyRead(req)) return;
  if (await discardBody(req, UNREAD_BODY_GRACE_MS)) return;
  const res = c.res;
  try {
    res.headers.set("Connection", "close");
  } catch {
    // Immutable headers (a response passed through as is): answer with a copy.
    const copy = new Response(res.body, res);
    copy.headers.set("Connection", "close");
    c.res = copy;
  }
};
