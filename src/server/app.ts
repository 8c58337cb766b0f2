// The HTTP application: filters (authentication → request info → logical cluster) and the routes
// (non-resource endpoints, discovery, resources). A plain `Request → Response` hono app, so tests can
// call `app.request(...)` without a socket.

import { Hono } from "hono";
import type { AppDeps } from "./app-deps.ts";
import type { UserInfo } from "../apis/types.ts";
import { log } from "../log.ts";
import { queryBool } from "../machinery/parse-bool.ts";
import { discoveryResponse } from "./discovery-handlers.ts";
import { healthResponse } from "./health.ts";
import { OpenAPIDocuments } from "./openapi/openapi-documents.ts";
import { openAPIResponse } from "./openapi/openapi-handlers.ts";
import { parseRequestInfo, type RequestInfo } from "./request-info.ts";
import { dispatchResource } from "./rest/dispatch.ts";
import { errorResponse, jsonResponse } from "./rest/respond.ts";
import { errors, isStatusError } from "../machinery/status.ts";
import { storageStatusError } from "./storage-errors.ts";
import { versionInfo } from "./version-info.ts";

type Env = {
  Bindings: { timeout?: (req: Request, seconds: number) => void } | undefined;
};

/** Endpoints anyone may read without credentials, as kube's system:public-info-viewer allows. */
const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

function isPublic(path: string): boolean {
  const p = path.replace(/\/+$/, "") || "/";
  if (PUBLIC_PATHS.has(p)) return true;
  return p.startsWith("/healthz/") || p.startsWith("/livez/") || p.startsWith("/readyz/");
}

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

  // The filters, over one parse of the URL: request info first (it also rejects malformed
  // /clusters/<name> prefixes), then authentication, then authorization; then the handler.
  app.all("*", async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const info = parseRequestInfo(req.method, url.pathname, url.searchParams, queryBool);
    const user = await authenticate(deps, info, req.headers.get("authorization"));
    authorize(deps, info, user);
    if (info.kind === "resource") {
      if (!info.wildcard) {
        const p = deps.clusters.ensure(info.cluster);
        if (p) await p;
      }
      return dispatchResource(deps, info, req, url.searchParams, user, (r) => c.env?.timeout?.(r, 0));
    }
    return nonResource(deps, openapi, info.path.replace(/\/+$/, "") || "/", info.cluster, req, url.searchParams);
  });

  return app;
}

/** Authentication: a bearer token from the static token file (or a service account's); anonymous for public paths. */
async function authenticate(deps: AppDeps, info: RequestInfo, header: string | null): Promise<UserInfo> {
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m ? await deps.authenticator.authenticateToken(m[1]) : null;
    if (!user) throw errors.unauthorized();
    return user;
  }
  if (info.kind === "nonresource" && isPublic(info.path)) return { username: "system:anonymous", groups: ["system:unauthenticated"] };
  throw errors.unauthorized();
}

/** Authorization: allow-all until RBAC lands, through the same interface RBAC will use. */
function authorize(deps: AppDeps, info: RequestInfo, user: UserInfo): void {
  const attrs =
    info.kind === "resource"
      ? {
          user,
          cluster: info.cluster,
          verb: info.verb,
          resourceRequest: true,
          group: info.group,
          version: info.version,
          resource: info.resource,
          subresource: info.subresource,
          namespace: info.namespace,
          name: info.name,
        }
      : { user, cluster: info.cluster, verb: info.verb, resourceRequest: false, path: info.path };
  const decision = deps.authorizer.authorize(attrs);
  if (!decision.allowed) {
    const what = info.kind === "resource" ? `${info.verb} resource "${info.resource}" in API group "${info.group}"` : `${info.verb} path "${info.path}"`;
    throw errors.forbidden(`forbidden: User "${user.username}" cannot ${what}${decision.reason ? `: ${decision.reason}` : ""}`);
  }
}

async function nonResource(deps: AppDeps, openapi: OpenAPIDocuments, path: string, cluster: string, req: Request, query: URLSearchParams): Promise<Response> {
  if (path === "/version") return jsonResponse(versionInfo());
  if (path.startsWith("/openapi/")) {
    // The `/clusters/<name>` prefix as the client spelled it, for the URLs the index hands out.
    const raw = new URL(req.url).pathname;
    const prefix = raw.startsWith("/clusters/") ? `/clusters/${raw.split("/")[2]}` : "";
    const res = openAPIResponse(openapi, cluster, prefix, path, req, query);
    if (res) return res;
  }
  if (path === "/healthz" || path === "/livez" || path.startsWith("/livez/") || path.startsWith("/healthz/")) {
    const kind = path.startsWith("/livez") ? "livez" : "healthz";
    return healthResponse(kind, deps.liveChecks, query, path);
  }
  if (path === "/readyz" || path.startsWith("/readyz/")) return healthResponse("readyz", deps.readyChecks, query, path);
  if (path === "/api" || path.startsWith("/api/") || path === "/apis" || path.startsWith("/apis/")) {
    if (req.method !== "GET" && req.method !== "HEAD") throw errors.methodNotAllowed();
    const defs = deps.registry.resources(cluster);
    return discoveryResponse(path, req.headers.get("accept"), defs, deps.serverAddress, req.headers.get("if-none-match"));
  }
  throw errors.pathNotFound();
}
