// Filter 0, audit (kube-apiserver's WithAudit, at the Metadata level): wraps every other filter so
// that each request — refused by authentication, impersonation, authorization or the logical
// cluster filter, or answered by a handler — leaves one event with what the filters after it
// found out (the users, the decision, the code). The event is queued, never awaited. Each response
// carries its event's id in the Audit-ID header, as kube's does.

import type { MiddlewareHandler } from "hono";
import type { AuditBackend } from "../audit/audit-log.ts";
import { auditEvent } from "../audit/audit-event.ts";
import type { Env } from "./env.ts";

export function auditFilter(backend: AuditBackend): MiddlewareHandler<Env> {
  return async (c, next) => {
    const received = new Date();
    const auditID = crypto.randomUUID();
    await next();
    const info = c.get("requestInfo");
    const original = c.get("originalUser");
    const user = c.get("user");
    const url = c.get("url") ?? new URL(c.req.raw.url);
    try {
      c.res.headers.set("Audit-ID", auditID);
    } catch {
      // A response with immutable headers keeps its own; the event still has the id.
    }
    backend.log(
      auditEvent({
        auditID,
        // A watch's response is its stream, which has only started when the handler returns.
        stage:
          info?.kind === "resource" && info.verb === "watch" && c.res.status === 200
            ? "ResponseStarted"
            : "ResponseComplete",
        requestURI: url.pathname + url.search,
        method: c.req.method,
        info,
        // kube's `user` is the authenticated one; `impersonatedUser` whom it acted as.
        user: original ?? user,
        impersonatedUser: original ? user : undefined,
        sourceIP: c.env?.requestIP?.(c.req.raw),
        userAgent: c.req.raw.headers.get("user-agent"),
        code: c.res.status,
        decision: c.get("authorization"),
        received,
        completed: new Date(),
      }),
    );
  };
}
