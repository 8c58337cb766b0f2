// `/openapi/v3` (the index), `/openapi/v3/<api|apis>/…` (one document per group-version) and
// `/openapi/v2`, as kube-apiserver serves them: content-addressed `?hash=` URLs that clients may
// cache forever, a 301 from an outdated hash to the current one, ETag revalidation, and v2 in
// JSON or gnostic protobuf by Accept header.

import { createHash } from "node:crypto";
import { negotiate, offer } from "../negotiation.ts";
import { errors } from "../../machinery/status.ts";
import { statusResponse } from "../status-response.ts";
import type { OpenAPIDocuments } from "./openapi-documents.ts";

const JSON_TYPE = "application/json";
/** What kubectl asks for; kube answers with the `.v1.0` spelling. */
const V2_PROTOBUF_REQUEST = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
const V2_PROTOBUF_RESPONSE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

const V2_OFFERS = [offer(JSON_TYPE), offer(V2_PROTOBUF_REQUEST), offer(V2_PROTOBUF_RESPONSE)];
const V3_OFFERS = [offer(JSON_TYPE)];

function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}

function respond(
  req: Request,
  body: string | Uint8Array,
  contentType: string,
  etag: string,
  extra: Record<string, string> = {},
): Response {
  const quoted = `"${etag}"`;
  const headers: Record<string, string> = { ETag: quoted, Vary: "Accept", ...extra };
  if (etagMatches(req.headers.get("if-none-match"), quoted)) return new Response(null, { status: 304, headers });
  return new Response(req.method === "HEAD" ? null : body, {
    status: 200,
    headers: { ...headers, "Content-Type": contentType },
  });
}

/**
 * Answer an OpenAPI path (already stripped of any `/clusters/<name>` prefix), or return null when
 * `path` is not an OpenAPI path. `prefix` is that cluster prefix, so that the URLs the index hands
 * out and redirects point back into the same logical cluster.
 */
export function openAPIResponse(
  docs: OpenAPIDocuments,
  cluster: string,
  prefix: string,
  path: string,
  req: Request,
  query: URLSearchParams,
): Response | null {
  if (path !== "/openapi/v2" && path !== "/openapi/v3" && !path.startsWith("/openapi/v3/")) return null;
  if (req.method !== "GET" && req.method !== "HEAD") return statusResponse(errors.methodNotAllowed());
  const accept = req.headers.get("accept");

  if (path === "/openapi/v2") {
    const chosen = negotiate(accept, V2_OFFERS);
    if (!chosen) return statusResponse(errors.notAcceptable([JSON_TYPE, V2_PROTOBUF_REQUEST]));
    const swagger = docs.swagger(cluster);
    if (chosen.mediaType === JSON_TYPE) return respond(req, swagger.json, JSON_TYPE, swagger.etag);
    return respond(req, swagger.protobuf, V2_PROTOBUF_RESPONSE, swagger.etag);
  }

  if (path === "/openapi/v3") {
    const hashes = docs.hashes(cluster);
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [gv, hash] of Object.entries(hashes))
      paths[gv] = { serverRelativeURL: `${prefix}/openapi/v3/${gv}?hash=${hash}` };
    const json = JSON.stringify({ paths });
    // The index names the current hashes, so it must be revalidated on every use.
    return respond(req, json, JSON_TYPE, sha256Hex(json), { "Cache-Control": "no-cache, private" });
  }

  const gv = path.slice("/openapi/v3/".length);
  const doc = docs.document(cluster, gv);
  if (!doc) return statusResponse(errors.pathNotFound());
  if (!negotiate(accept, V3_OFFERS)) return statusResponse(errors.notAcceptable([JSON_TYPE]));
  const asked = query.get("hash");
  if (asked !== null && asked !== "") {
    if (asked !== doc.hash) {
      return new Response(null, {
        status: 301,
        headers: { Location: `${prefix}/openapi/v3/${gv}?hash=${doc.hash}`, Vary: "Accept" },
      });
    }
    const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
    return respond(req, doc.json, JSON_TYPE, doc.hash, { "Cache-Control": "public, immutable", Expires: expires });
  }
  return respond(req, doc.json, JSON_TYPE, doc.hash, { "Cache-Control": "no-cache, private" });
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
