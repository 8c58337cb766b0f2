// The loopback client: a ClientConfig whose transport is the server's own hono app, called
// in-process (no socket, no TLS), so controllers that run inside `kcp start` use the very client
// library that remote controllers use, through the whole filter chain (authentication,
// authorization, admission, validation, field management) rather than around it.
//
// Its credential is a token made at start-up and kept only in memory: unlike the admin token it
// is never written to disk (admin.token, the admin kubeconfig), so reading the data directory
// does not reveal it, it changes on every start, and requests made by in-process controllers are
// told apart from an administrator's (user system:apiserver, as kube-apiserver's own loopback).

import { randomBytes } from "node:crypto";
import type { UserInfo } from "../auth/types.ts";
import type { ClientConfig } from "../client/client-config.ts";

/** The identity of in-process clients (kube-apiserver's loopback user: system:apiserver in system:masters). */
export function loopbackUser(): UserInfo {
  return { username: "system:apiserver", uid: "system:apiserver", groups: ["system:masters", "system:authenticated"] };
}

/** A fresh random bearer token (256 bits) for this process's loopback client. */
export function newLoopbackToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The URL loopback requests carry; only its path matters to the app. */
export const LOOPBACK_SERVER = "https://loopback.kcp.invalid";

/**
 * The loopback ClientConfig. `app` is anything with hono's fetch(request); requests are passed to
 * it as they are. No client-side rate limit (qps 0): the caller is the server itself, and its
 * storage does the queueing; no per-request timeout beyond the default.
 */
export function loopbackClientConfig(
  app: { fetch(req: Request): Response | Promise<Response> },
  token: string,
): ClientConfig {
  return {
    server: LOOPBACK_SERVER,
    token,
    fetch: async (req) => app.fetch(req),
    userAgent: "kcp-loopback",
    qps: 0,
    namespace: "default",
    contextName: "loopback",
  };
}
