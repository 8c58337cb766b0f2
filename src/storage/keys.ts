// The key layout shared by every backend:
//
//   <prefix>/<group>/<resource>/<cluster>/<namespace>/<name>   (namespaced)
//   <prefix>/<group>/<resource>/<cluster>/<name>               (cluster-scoped)
//
// `<group>` is "core" for the legacy group. The resource comes before the logical cluster so that
// a list or watch across all logical clusters (`/clusters/*`) is one contiguous key range, like
// the list of one resource in one cluster. Names, namespaces and cluster names never contain "/".

export const DEFAULT_PREFIX = "/registry";

export interface KeyParts {
  group: string;
  resource: string;
  cluster: string;
  namespace?: string;
  name: string;
}

export function groupSegment(group: string): string {
  return group === "" ? "core" : group;
}

/** The prefix of every object of one resource (all clusters). Ends in "/". */
export function resourcePrefix(prefix: string, group: string, resource: string): string {
  return `${prefix}/${groupSegment(group)}/${resource}/`;
}

/**
 * The prefix of a collection: one resource in one cluster (or all clusters when cluster is undefined),
 * optionally within one namespace. Ends in "/".
 */
export function collectionPrefix(
  prefix: string,
  group: string,
  resource: string,
  cluster?: string,
  namespace?: string,
): string {
  let p = resourcePrefix(prefix, group, resource);
  if (cluster === undefined) return p;
  p += `${cluster}/`;
  if (namespace) p += `${namespace}/`;
  return p;
}

export function objectKey(prefix: string, parts: KeyParts): string {
  const base = `${resourcePrefix(prefix, parts.group, parts.resource)}${parts.cluster}/`;
  return parts.namespace ? `${base}${parts.namespace}/${parts.name}` : `${base}${parts.name}`;
}

/** Split a key back into cluster, namespace and name, given whether the resource is namespaced. */
export function parseObjectKey(
  prefix: string,
  key: string,
  namespaced: boolean,
): { group: string; resource: string; cluster: string; namespace?: string; name: string } | null {
  if (!key.startsWith(`${prefix}/`)) return null;
  const parts = key.slice(prefix.length + 1).split("/");
  if (namespaced ? parts.length !== 5 : parts.length !== 4) return null;
  const group = parts[0] === "core" ? "" : parts[0];
  if (namespaced) return { group, resource: parts[1], cluster: parts[2], namespace: parts[3], name: parts[4] };
  return { group, resource: parts[1], cluster: parts[2], name: parts[3] };
}

/** The cluster segment of a key under a resource prefix, without parsing the rest. */
export function clusterOfKey(resourcePrefixStr: string, key: string): string {
  const rest = key.slice(resourcePrefixStr.length);
  const i = rest.indexOf("/");
  return i < 0 ? rest : rest.slice(0, i);
}
