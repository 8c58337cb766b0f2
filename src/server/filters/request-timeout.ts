// Filter 1b, request timeout (kube-apiserver's WithTimeoutForNonLongRunningRequests, --request-timeout):
// a request that is not long-running and has no answer within the timeout gets a 504 Timeout Status,
// whatever it is waiting for — a body trickled a byte at a time, storage, a slow patch. The answer
// closes the connection: the handler may still hold a half-read body, which must not be read as the
// next request. Watches are long-running and exempt (they end by their own timeoutSeconds).

import type { MiddlewareHandler } from "hono";
import { errors } from "../../machinery/status.ts";
import { errorResponse } from "../rest/respond.ts";
import type { Env } from "./env.ts";

/** kube-apiserver's default --request-timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export function requestTimeoutFilter(timeoutMs: number): MiddlewareHandler<Env> {
  return async (c, next) => {
    const info = c.get("requestInfo");
    if (info.kind === "resource" && info.verb === "watch") return next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeoutMs);
    });
    const running = next().then(() => "done" as const);
    // A handler that fails after its 504 went out has no one left to tell.
    running.catch(() => {});
    try {
      if ((await Promise.race([running, expired])) === "done") return;
    } finally {
      clearTimeout(timer);
    }
    const res = errorResponse(
      errors.timeout("Timeout: request did not complete within requested timeout - context deadline exceeded"),
    );
    res.headers.set("Connection", "close");
    c.res = res;
  };
}
