// Filter 4b, fairness between tenants (kube-apiserver's WithPriorityAndFairness, in spirit): a request
// holds a seat of its kind (mutating or read-only) while it is served, within its flow's share — a
// flow is one user in one logical cluster — and waits in its flow's queue when over it (see
// src/server/fairness/). A full queue or a wait over a quarter of the request timeout (kube's) is 429
// TooManyRequests with `Retry-After: 1`, the Status kube-apiserver answers then.
//
// Exempt, as kube's are: long-running requests (watches: they hold a connection, not the event
// loop; --max-watches-per-user bounds them), system:masters (kube's mandatory `exempt` FlowSchema
// matches that group: the admin and the server's own loopback clients always get an answer; not
// when only impersonated, see `exempt`), and
// the health endpoints (kube's `probes` FlowSchema puts /healthz, /livez and /readyz in `exempt`).

import type { MiddlewareHandler } from "hono";
import { MASTERS_GROUP } from "../../auth/rbac/rbac-authorizer.ts";
import { errors } from "../../machinery/status.ts";
import type { FlowControl, RequestKind } from "../fairness/flow-control.ts";
import { type Release, SeatRejection } from "../fairness/seat-pool.ts";
import type { UserInfo } from "../../auth/types.ts";
import type { RequestInfo } from "../request-info.ts";
import type { Env } from "./env.ts";

/** kube's nonMutatingRequestVerbs; `head` is a get without the body. */
const READ_ONLY_VERBS = new Set(["get", "head", "list", "watch"]);

const HEALTH_PATH = /^\/(healthz|livez|readyz)(\/|$)/;

/**
 * system:masters counts only when the identity that authenticated is in it too: impersonation is
 * authorized in the request's logical cluster, so any cluster-admin there (a cluster's creator)
 * may impersonate the group, unlike in kube, where that takes the power of the group itself.
 */
function exempt(info: RequestInfo, user: UserInfo, original: UserInfo | undefined): boolean {
  if (info.kind === "resource" && info.verb === "watch") return true;
  if (info.kind === "nonresource" && HEALTH_PATH.test(info.path)) return true;
  return user.groups.includes(MASTERS_GROUP) && (original ?? user).groups.includes(MASTERS_GROUP);
}

export function fairnessFilter(flows: FlowControl): MiddlewareHandler<Env> {
  return async (c, next) => {
    const info = c.get("requestInfo");
    const user = c.get("user");
    if (exempt(info, user, c.get("originalUser"))) return next();
    const kind: RequestKind = READ_ONLY_VERBS.has(info.verb) ? "readOnly" : "mutating";
    // A space cannot occur in a logical cluster name, so no two (cluster, user) pairs share a key.
    const key = `${info.cluster} ${user.username}`;
    let release: Release;
    try {
      const seat = flows.acquire(kind, key, c.req.raw.signal);
      release = typeof seat === "function" ? seat : await seat;
    } catch (err) {
      if (!(err instanceof SeatRejection)) throw err;
      flows.noteRejected(kind, err.reason);
      throw errors.tooManyRequests("Too many requests, please try again later.", 1);
    }
    try {
      await next();
    } finally {
      release();
    }
  };
}
