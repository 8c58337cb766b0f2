// Request info: what a URL and method ask for, as kube-apiserver's RequestInfoFactory works it out,
// plus the logical cluster taken from a `/clusters/<name>` prefix.

import { errors, StatusError } from "../machinery/status.ts";
import { isLogicalClusterName } from "../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";

export const WILDCARD_CLUSTER = "*";

export interface ResourceRequestInfo {
  kind: "resource";
  cluster: string;
  /** True for `/clusters/*`: read-only, across all logical clusters. */
  wildcard: boolean;
  verb: string;
  apiPrefix: "api" | "apis";
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** The path after the cluster prefix. */
  path: string;
}

export interface NonResourceRequestInfo {
  kind: "nonresource";
  cluster: string;
  wildcard: boolean;
  verb: string;
  /** The path after the cluster prefix, e.g. "/api", "/apis/apps", "/version", "/openapi/v3". */
  path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/**
 * The segments of a path, each percent-decoded exactly once. One spelling per object: a malformed
 * escape, an empty segment (`//`), a `.` or `..` segment (plain or escaped) and an escaped slash are
 * 400, so a proxy in front that judges the path prefix and kcp read the same path. Only a trailing
 * slash is let through, as kube-apiserver does.
 */
export function splitPath(path: string): string[] {
  const raw = path.split("/");
  // The leading slash gives an empty first segment; a trailing slash an empty last one.
  if (raw[0] === "") raw.shift();
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  return raw.map(decodeSegment);
}

function decodeSegment(raw: string): string {
  if (raw === "") throw badPath('an empty path segment ("//") is not allowed');
  let seg = raw;
  if (raw.includes("%")) {
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw badPath(`malformed percent escape in path segment "${raw}"`);
    }
    if (seg.includes("/")) throw badPath(`an escaped "/" in path segment "${raw}" is not allowed`);
  }
  if (seg === "." || seg === "..") throw badPath(`a "${seg}" path segment is not allowed`);
  return seg;
}

function badPath(why: string) {
  return errors.badRequest(`invalid request path: ${why}`);
}

/**
 * Split a raw URL path into the logical cluster and the rest. Throws 404 for `/clusters/<bad>`
 * or a bare `/clusters/<name>`.
 */
export function splitClusterPrefix(rawPath: string): { cluster: string; wildcard: boolean; path: string } {
  if (!rawPath.startsWith("/clusters/")) return { cluster: DEFAULT_CLUSTER, wildcard: false, path: rawPath };
  const rest = rawPath.slice("/clusters/".length);
  const slash = rest.indexOf("/");
  const spelled = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  // Cluster names never need escaping, so the prefix a proxy may filter on has one spelling; only
  // the wildcard has two, as client-go escapes `*` (`/clusters/%2A`) and it is read-only.
  const name = /^%2a$/i.test(spelled) ? WILDCARD_CLUSTER : spelled;
  if (name.includes("%")) {
    throw badPath(`a logical cluster name is spelled without percent escapes, not "${name}"`);
  }
  if (name === WILDCARD_CLUSTER) {
    if (path === "" || path === "/") throw unknownCluster(name);
    return { cluster: WILDCARD_CLUSTER, wildcard: true, path };
  }
  if (!isLogicalClusterName(name) || path === "" || path === "/") throw unknownCluster(name);
  return { cluster: name, wildcard: false, path };
}

function unknownCluster(name: string) {
  return new StatusError(
    404,
    "NotFound",
    `Unknown cluster "${name}": a logical cluster name has 2 to 80 lowercase letters, digits or '-', and starts and ends with a letter or digit`,
    {},
  );
}

/** Work out what a request asks for. `query` is used for `watch`. */
export function parseRequestInfo(
  method: string,
  rawPath: string,
  query: URLSearchParams,
  parseBool: (s: string | null) => boolean | undefined,
): RequestInfo {
  const { cluster, wildcard, path } = splitClusterPrefix(rawPath);
  const parts = splitPath(path);
  const lowerMethod = method.toLowerCase();
  const nonResource = (): NonResourceRequestInfo => ({
    kind: "nonresource",
    cluster,
    wildcard,
    verb: lowerMethod,
    path: path || "/",
  });

  let rest: string[];
  let apiPrefix: "api" | "apis";
  let group = "";
  let version: string;
  if (parts[0] === "api") {
    if (parts.length < 3) return nonResource();
    apiPrefix = "api";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis") {
    if (parts.length < 4) return nonResource();
    apiPrefix = "apis";
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return nonResource();
  }

  let verb: string;
  let legacyWatch = false;
  if (rest[0] === "watch") {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let namespaceItself = false;
  if (rest[0] === "namespaces" && rest.length >= 2) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
    else namespaceItself = true;
  }
  const resource = rest[0];
  const name = rest.length >= 2 ? rest[1] : undefined;
  const subresource = rest.length >= 3 ? rest[2] : undefined;
  if (rest.length > 3 || !resource) return nonResource();

  switch (lowerMethod) {
    case "get":
    case "head":
      if (legacyWatch || parseBool(query.get("watch"))) verb = "watch";
      else verb = name === undefined ? "list" : "get";
      break;
    case "post":
      verb = "create";
      break;
    case "put":
      verb = "update";
      break;
    case "patch":
      verb = "patch";
      break;
    case "delete":
      verb = name === undefined ? "deletecollection" : "delete";
      break;
    default:
      verb = lowerMethod;
  }
  // `/api/v1/namespaces/foo` addresses the namespace itself.
  if (namespaceItself) {
    return {
      kind: "resource",
      cluster,
      wildcard,
      verb,
      apiPrefix,
      group,
      version,
      namespace: undefined,
      resource,
      name,
      subresource,
      path,
    };
  }
  return {
    kind: "resource",
    cluster,
    wildcard,
    verb,
    apiPrefix,
    group,
    version,
    namespace,
    resource,
    name,
    subresource,
    path,
  };
}
