// The non-resource endpoints at the end of the filter chain: /version, the OpenAPI documents, the
// health endpoints, /metrics and discovery (/api, /apis and below). Anything else is 404.

import type { AppDeps } from "./app-deps.ts";
import { discoveryResponse } from "./discovery-handlers.ts";
import { healthResponse } from "./health.ts";
import { metricsResponse } from "./metrics/metrics-endpoint.ts";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import type { OpenAPIDocuments } from "./openapi/openapi-documents.ts";
import { openAPIResponse } from "./openapi/openapi-handlers.ts";
import type { NonResourceRequestInfo } from "./request-info.ts";
import { jsonResponse } from "./rest/respond.ts";
import { errors } from "../machinery/status.ts";
import { versionInfo } from "./version-info.ts";

/** Answers a non-resource request; `url` is the request's, as the request info filter parsed it. */
export async function nonResourceResponse(
  deps: AppDeps,
  openapi: OpenAPIDocuments,
  info: NonResourceRequestInfo,
  req: Request,
  url: URL,
): Promise<Response> {
  const path = info.path.replace(/\/+$/, "") || "/";
  const cluster = info.cluster;
  const query = url.searchParams;
  if (path === "/version") return jsonResponse(versionInfo());
  if (path.startsWith("/openapi/")) {
    // The `/clusters/<name>` prefix as the client spelled it, for the URLs the index hands out.
    const raw = url.pathname;
    const prefix = raw.startsWith("/clusters/") ? `/clusters/${raw.split("/")[2]}` : "";
    const res = openAPIResponse(openapi, cluster, prefix, path, req, query);
    if (res) return res;
  }
  if (path === "/healthz" || path === "/livez" || path.startsWith("/livez/") || path.startsWith("/healthz/")) {
    const kind = path.startsWith("/livez") ? "livez" : "healthz";
    return healthResponse(kind, deps.liveChecks, query, path);
  }
  // The server's numbers, not a tenant's: only in the default logical cluster.
  if (path === "/metrics" && deps.metrics && cluster === DEFAULT_CLUSTER && !info.wildcard) {
    if (req.method !== "GET" && req.method !== "HEAD") throw errors.methodNotAllowed();
    return metricsResponse(deps.metrics);
  }
  if (path === "/readyz" || path.startsWith("/readyz/")) return healthResponse("readyz", deps.readyChecks, query, path);
  if (path === "/api" || path.startsWith("/api/") || path === "/apis" || path.startsWith("/apis/")) {
    if (req.method !== "GET" && req.method !== "HEAD") throw errors.methodNotAllowed();
    const defs = deps.registry.resources(cluster);
    return discoveryResponse(
      path,
      req.headers.get("accept"),
      defs,
      deps.serverAddress,
      req.headers.get("if-none-match"),
    );
  }
  throw errors.pathNotFound();
}
