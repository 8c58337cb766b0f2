// The metrics filter, outermost (around audit too): every request — refused by a filter or answered
// by a handler — is counted with its code and timed until its response (for a watch, until the
// stream starts). Recording is a few Map lookups and increments (src/server/metrics/request-metrics.ts).

import type { MiddlewareHandler } from "hono";
import type { RequestMetrics } from "../metrics/request-metrics.ts";
import type { Env } from "./env.ts";

export function metricsFilter(metrics: RequestMetrics): MiddlewareHandler<Env> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const req = c.req.raw;
    metrics.record(
      req.method,
      req.headers.get("content-type"),
      c.get("requestInfo"),
      c.res.status,
      (performance.now() - start) / 1000,
    );
  };
}
