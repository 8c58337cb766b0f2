// The HTTP application: a plain `Request → Response` hono app (Bun.serve calls `app.fetch`; tests
// call `app.request(...)` without a socket, as test/unit/filter-chain.test.ts does).
//
// Every request goes through the filters, one hono middleware each (src/server/filters/), in
// kube-apiserver's order:
//   0a. unread body    — an answer given before the request body was read to its end closes the connection;
//   0b. metrics        — (with /metrics) counts and times every request, refused ones too;
//   0c. audit          — (with --audit-log-path) wraps the rest: one event per request, queued;
//   1. request info    — parses the URL once, works out verb, resource and logical cluster (a bad
//                        `/clusters/<name>` prefix is 404 here, before credentials are looked at);
//   1b. request timeout — (--request-timeout) 504 for a request that is not a watch and has no answer in time;
//   2. authentication  — bearer token → user, or system:anonymous on the public health/version paths;
//                        else 401; identity headers of clients (X-Remote-*) are never read;
//   2b. impersonation  — Impersonate-* headers, each part allowed by the authorizer, else 403;
//   3. logical cluster — an unknown cluster: 403 unless the user may create logical clusters, then
//                        its first resource request creates it (and makes its creator its admin;
//                        for system:masters, once authorization allowed the request);
//   4. authorization   — the authorizer's decision on user + request info; 403 when denied;
//   4b. fairness       — (--max-requests-inflight and friends) a seat within the flow's share (one
//                        user in one logical cluster), else wait in its queue, else 429;
// and then the handler: resource requests go to dispatchResource (src/server/rest/), the rest to
// the non-resource endpoints (version, OpenAPI, health, discovery). A filter that throws a
// StatusError ends the request there, through onError.

import { Hono } from "hono";
import type { AppDeps } from "./app-deps.ts";
import { log } from "../log.ts";
import { auditFilter } from "./filters/audit.ts";
import { authenticationFilter } from "./filters/authentication.ts";
import { authorizationFilter } from "./filters/authorization.ts";
import type { Env } from "./filters/env.ts";
import { impersonationFilter } from "./filters/impersonation.ts";
import { logicalClusterCreation, logicalClusterFilter } from "./filters/logical-cluster.ts";
import { metricsFilter } from "./filters/metrics.ts";
import { requestInfoFilter } from "./filters/request-info.ts";
import { requestTimeoutFilter } from "./filters/request-timeout.ts";
import { unreadBodyFilter } from "./filters/unread-body.ts";
import { nonResourceResponse } from "./non-resource.ts";
import { OpenAPIDocuments } from "./openapi/openapi-documents.ts";
import { dispatchResource } from "./rest/dispatch.ts";
import { errorResponse } from "./rest/respond.ts";
import { errors, isStatusError } from "../machinery/status.ts";
import { fairnessFilter } from "./filters/fairness.ts";
import { storageStatusError } from "./storage-errors.ts";

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>({ strict: false });
  const openapi = new OpenAPIDocuments(deps.registry);

  app.onError((err, c) => {
    if (isStatusError(err)) return errorResponse(err);
    const unavailable = storageStatusError(err);
    if (unavailable) {
      log.warn(`${c.req.method} ${c.req.path}: ${unavailable.code} ${(err as Error).message}`);
      return errorResponse(unavailable);
    }
    log.error(`${c.req.method} ${c.req.path}: ${(err as Error).stack ?? err}`);
    return errorResponse(errors.internal((err as Error).message ?? String(err)));
  });
  app.notFound(() => errorResponse(errors.pathNotFound()));

  app.use("*", unreadBodyFilter);
  // Next, so that requests any later filter refuses are counted too.
  if (deps.metrics) app.use("*", metricsFilter(deps.metrics.requests));
  if (deps.audit) app.use("*", auditFilter(deps.audit));
  app.use("*", requestInfoFilter);
  if (deps.requestTimeoutMs) app.use("*", requestTimeoutFilter(deps.requestTimeoutMs));
  app.use("*", authenticationFilter(deps.authenticator, deps.clientCertAuthenticator));
  // As kube-apiserver's WithImpersonation: after authentication (it acts on the authenticated user's
  // Impersonate-* headers) and before authorization (which then judges the impersonated user).
  app.use("*", impersonationFilter(deps.authorizer));
  // Before authorization: a cluster that does not exist has no RBAC to judge by, and its creator
  // is given its rights there on creation.
  app.use("*", logicalClusterFilter(deps.clusters, deps.registry, deps.authorizer, deps.clusterCreated));
  app.use("*", authorizationFilter(deps.authorizer));
  // After authorization, unlike kube's (which guards webhook authorizers): ours is an in-memory
  // lookup, and only requests it allowed open a flow, so requests aimed at logical clusters a user
  // has no rights in cannot mint shares. Before cluster creation, which writes to storage.
  if (deps.flowControl) app.use("*", fairnessFilter(deps.flowControl));
  app.use("*", logicalClusterCreation(deps.clusters));

  app.all("*", (c) => {
    const info = c.get("requestInfo");
    const url = c.get("url");
    if (info.kind === "resource") {
      return dispatchResource(deps, info, c.req.raw, url.searchParams, c.get("user"), (r) => c.env?.timeout?.(r, 0));
    }
    return nonResourceResponse(deps, openapi, info, c.req.raw, url);
  });

  return app;
}
