// The discovery endpoints over HTTP: picks legacy or aggregated discovery from the Accept header,
// renders the document once per (defs, path, media type), and answers with ETag / 304 support.
// Callers pass the path with any /clusters/<name> prefix already removed.

import { createHash } from "node:crypto";
import type { ResourceDef } from "../apis/types.ts";
import {
  type AggregatedVersion,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "./discovery.ts";
import { errors } from "../machinery/status.ts";
import { statusResponse } from "./status-response.ts";

export const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
export const AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

export type DiscoveryMedia = "json" | AggregatedVersion;

const CONTENT_TYPES: Record<DiscoveryMedia, string> = {
  json: "application/json",
  v2: AGGREGATED_V2,
  v2beta1: AGGREGATED_V2BETA1,
};

interface AcceptClause {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const raw of header.split(",")) {
    const [range = "", ...rest] = raw.split(";");
    const [type = "", subtype = ""] = range.trim().toLowerCase().split("/");
    if (!type || !subtype) continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (key === "q") q = Number(value);
      else params.set(key, value);
    }
    if (Number.isNaN(q) || q <= 0) continue;
    clauses.push({ type, subtype, params, q });
  }
  // As goautoneg: by q, then concrete types before wildcards; otherwise the client's order (stable sort).
  const wild = (c: AcceptClause) => (c.type === "*" ? 2 : c.subtype === "*" ? 1 : 0);
  return clauses.sort((a, b) => b.q - a.q || wild(a) - wild(b));
}

/**
 * The media type to answer with, or null when nothing the client accepts can be served (406).
 * As kube's NegotiateMediaTypeOptions: walk the clauses in preference order; a clause that asks
 * for a conversion (`as`/`g`/`v`) this endpoint cannot do is skipped, not downgraded.
 */
export function negotiateDiscovery(accept: string | null, aggregatedAllowed: boolean): DiscoveryMedia | null {
  if (!accept?.trim()) return "json";
  for (const c of parseAccept(accept)) {
    const jsonLike = (c.type === "application" && (c.subtype === "json" || c.subtype === "*")) || c.type === "*";
    if (!jsonLike) continue;
    const as = c.params.get("as");
    const g = c.params.get("g");
    const v = c.params.get("v");
    if (as === undefined && g === undefined && v === undefined) return "json";
    if (
      aggregatedAllowed &&
      as === "APIGroupDiscoveryList" &&
      g === "apidiscovery.k8s.io" &&
      (v === "v2" || v === "v2beta1")
    ) {
      return v;
    }
  }
  return null;
}

/** A rendered discovery document, shared by every response until the defs change. */
export interface RenderedDiscovery {
  body: string;
  contentType: string;
  etag: string;
}

// Keyed by the defs array itself: the registry hands out a new array whenever the served resources
// change (CRD created or deleted), which retires the old entries with it.
const cache = new WeakMap<readonly ResourceDef[], Map<string, RenderedDiscovery>>();

/** "/apis/g/v/" → ["apis", "g", "v"]; null for anything with empty segments. */
function segments(path: string): string[] | null {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const parts = trimmed.split("/");
  if (parts[0] !== "" || parts.length < 2) return null;
  const rest = parts.slice(1);
  return rest.every((s) => s !== "") ? rest : null;
}

function buildDocument(
  parts: string[],
  media: DiscoveryMedia,
  defs: readonly ResourceDef[],
  serverAddress: string,
): object | null {
  const [root, a, b] = parts;
  if (root === "api") {
    if (parts.length === 1)
      return media === "json" ? apiVersions(serverAddress) : aggregatedDiscovery(defs, "api", media);
    if (parts.length === 2 && media === "json") return apiResourceList(defs, "", a as string);
    return null;
  }
  if (root === "apis") {
    if (parts.length === 1) return media === "json" ? apiGroupList(defs) : aggregatedDiscovery(defs, "apis", media);
    if (media !== "json") return null;
    if (parts.length === 2) return apiGroup(defs, a as string);
    if (parts.length === 3) return apiResourceList(defs, a as string, b as string);
  }
  return null;
}

function render(doc: object, media: DiscoveryMedia): RenderedDiscovery {
  const body = JSON.stringify(doc);
  const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
  return { body, contentType: CONTENT_TYPES[media], etag };
}

/**
 * The document for `path` in `media`, or null when the path names no served group or version.
 * Cached, except legacy `/api`, which depends on the caller's address rather than on defs (and
 * caching per address would let arbitrary Host headers grow the cache).
 */
export function renderDiscovery(
  path: string,
  media: DiscoveryMedia,
  defs: readonly ResourceDef[],
  serverAddress: string,
): RenderedDiscovery | null {
  const parts = segments(path);
  if (!parts) return null;
  if (parts.length === 1 && parts[0] === "api" && media === "json") {
    return render(apiVersions(serverAddress), media);
  }
  const key = `${media} /${parts.join("/")}`;
  let perDefs = cache.get(defs);
  const hit = perDefs?.get(key);
  if (hit) return hit;
  const doc = buildDocument(parts, media, defs, serverAddress);
  if (!doc) return null;
  const rendered = render(doc, media);
  if (!perDefs) {
    perDefs = new Map();
    cache.set(defs, perDefs);
  }
  perDefs.set(key, rendered);
  return rendered;
}

function etagMatches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}

/**
 * Answers `GET /api`, `/apis`, `/api/v1`, `/apis/<g>`, `/apis/<g>/<v>`: aggregated discovery on
 * `/api` and `/apis` when the Accept header asks for it (with the parameterised Content-Type
 * echoed, which kubectl requires), legacy JSON otherwise; 404 Status for unknown groups/versions.
 */
export function discoveryResponse(
  path: string,
  accept: string | null,
  defs: readonly ResourceDef[],
  serverAddress: string,
  ifNoneMatch?: string | null,
): Response {
  const parts = segments(path);
  const aggregatedAllowed = parts?.length === 1;
  const media = negotiateDiscovery(accept, aggregatedAllowed);
  // An unknown path is 404 whatever the Accept header says; a known one that cannot be served as asked is 406.
  const rendered = renderDiscovery(path, media ?? "json", defs, serverAddress);
  if (!rendered) return statusResponse(errors.pathNotFound());
  if (!media) return statusResponse(errors.notAcceptable([CONTENT_TYPES.json]));
  const headers = { "Content-Type": rendered.contentType, Vary: "Accept", ETag: rendered.etag };
  if (ifNoneMatch && etagMatches(ifNoneMatch, rendered.etag)) {
    return new Response(null, { status: 304, headers: { Vary: "Accept", ETag: rendered.etag } });
  }
  return new Response(rendered.body, { status: 200, headers });
}
