// The APIResourceImport the API importer writes for one CRD pulled from a physical cluster: named
// `<plural>.<location>.<version>.<group|core>`, owned by the Cluster (controller: true, so the
// garbage collector removes it with its Cluster — the seed wrote the owner in the wrong group), its
// spec the pulled CRD's single version. Which of its fields the importer keeps up to date, and a
// digest of them, so an unchanged import is never written again.

import { createHash } from "node:crypto";
import {
  API_VERSION_ANNOTATION,
  APIRESOURCE_API_VERSION,
  apiVersionOf,
  DEFAULT_SCHEMA_UPDATE_STRATEGY,
  IMPORT_KIND,
  importName,
} from "../../apis/builtin/apiresource.ts";
import { CLUSTER_API_VERSION, CLUSTER_KIND } from "../../apis/builtin/cluster.ts";
import type { KObject } from "../../apis/types.ts";
import { isObject } from "../../machinery/object.ts";

/**
 * The spec fields that come from the physical cluster: refreshed when they change. The others
 * (location, schemaUpdateStrategy) are set once, at create; a user's edit of the strategy stays.
 */
export const IMPORTED_FIELDS = [
  "groupVersion",
  "scope",
  "plural",
  "singular",
  "kind",
  "listKind",
  "shortNames",
  "categories",
  "openAPIV3Schema",
  "subResources",
  "columnDefinitions",
] as const;

export interface ClusterOwner {
  name: string;
  uid: string;
}

export function clusterOwnerReference(owner: ClusterOwner): Record<string, unknown> {
  return { apiVersion: CLUSTER_API_VERSION, kind: CLUSTER_KIND, name: owner.name, uid: owner.uid, controller: true };
}

/** Whether `obj`'s owner references have the Cluster as its controller. */
export function ownedBy(obj: KObject, owner: ClusterOwner): boolean {
  return (obj.metadata.ownerReferences ?? []).some(
    (r) =>
      isObject(r) &&
      r.apiVersion === CLUSTER_API_VERSION &&
      r.kind === CLUSTER_KIND &&
      r.uid === owner.uid &&
      r.controller === true,
  );
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 ? v.filter((s): s is string => typeof s === "string") : undefined;
}

/** The printer columns of a CRD version, as an import's columnDefinitions. */
function columnsOf(version: Record<string, unknown>): Record<string, unknown>[] | undefined {
  const cols = version.additionalPrinterColumns;
  if (!Array.isArray(cols) || cols.length === 0) return undefined;
  return cols.filter(isObject).map((c) => {
    const out: Record<string, unknown> = { name: c.name, type: c.type, jsonPath: c.jsonPath };
    if (str(c.format)) out.format = c.format;
    if (str(c.description)) out.description = c.description;
    if (typeof c.priority === "number") out.priority = c.priority;
    return out;
  });
}

/**
 * The import of a pulled CRD (apiextensions.k8s.io/v1, one version) for the Cluster `owner`, or
 * undefined when the CRD lacks what an import needs (names, a version with a schema).
 */
export function importFromCrd(crd: Record<string, unknown>, owner: ClusterOwner): KObject | undefined {
  const spec = isObject(crd.spec) ? crd.spec : undefined;
  const names = spec && isObject(spec.names) ? spec.names : undefined;
  const versions = spec && Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const version = versions[0];
  const plural = str(names?.plural);
  const kind = str(names?.kind);
  const versionName = str(version?.name);
  const schema = version && isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
  if (!spec || !names || !version || !plural || !kind || !versionName || !isObject(schema)) return undefined;
  const group = typeof spec.group === "string" ? spec.group : "";
  const subresources = isObject(version.subresources) ? version.subresources : {};
  const subResources = ["status", "scale"].filter((s) => isObject(subresources[s])).map((name) => ({ name }));
  const imported: Record<string, unknown> = {
    groupVersion: group ? { group, version: versionName } : { version: versionName },
    scope: spec.scope === "Cluster" ? "Cluster" : "Namespaced",
    plural,
    singular: str(names.singular) ?? kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) ?? `${kind}List`,
    shortNames: strings(names.shortNames),
    categories: strings(names.categories),
    openAPIV3Schema: schema,
    subResources: subResources.length ? subResources : undefined,
    columnDefinitions: columnsOf(version),
  };
  for (const k of Object.keys(imported)) if (imported[k] === undefined) delete imported[k];
  return {
    apiVersion: APIRESOURCE_API_VERSION,
    kind: IMPORT_KIND,
    metadata: {
      name: importName(plural, owner.name, versionName, group),
      annotations: { [API_VERSION_ANNOTATION]: apiVersionOf(group, versionName) },
      ownerReferences: [clusterOwnerReference(owner)],
    },
    // The strategy is set once: what a new import may do to the negotiated schema (the seed's
    // default); a user may change it.
    spec: { ...imported, location: owner.name, schemaUpdateStrategy: DEFAULT_SCHEMA_UPDATE_STRATEGY },
  };
}

/**
 * JSON with object keys sorted, and absent values, nulls and empty lists left out (a server that
 * drops an empty list, or orders keys its own way, does not make an import look changed).
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x === undefined || x === null || (Array.isArray(x) && x.length === 0)) continue;
      parts.push(`${JSON.stringify(k)}:${canonical(x)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** A digest of an import's IMPORTED_FIELDS: equal digests, nothing to refresh. */
export function importedDigest(obj: KObject): string {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const picked: Record<string, unknown> = {};
  for (const k of IMPORTED_FIELDS) if (Object.hasOwn(spec, k)) picked[k] = spec[k];
  return createHash("sha256").update(canonical(picked)).digest("base64url").slice(0, 27);
}
