// Discovery documents, as kube-apiserver renders them, computed from the resources one logical
// cluster serves. Pure functions: the HTTP side (negotiation, caching, ETags) is in discovery-handlers.ts.

import { createHash } from "node:crypto";
import type { ResourceDef, SubresourceDef } from "../apis/types.ts";
import { compareKubeAwareVersions } from "../machinery/kube-aware-version.ts";
import { capabilitiesOf } from "../apis/capabilities.ts";

// ---- document shapes (field order follows the Go structs, so output reads like kube's) ----

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

export interface APIVersions {
  kind: "APIVersions";
  versions: string[];
  serverAddressByClientCIDRs: ServerAddressByClientCIDR[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroupEntry {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroup extends APIGroupEntry {
  kind: "APIGroup";
  apiVersion: "v1";
}

export interface APIGroupList {
  kind: "APIGroupList";
  apiVersion: "v1";
  groups: APIGroupEntry[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: "APIResourceList";
  apiVersion?: "v1";
  groupVersion: string;
  resources: APIResource[];
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: "Namespaced" | "Cluster";
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: "Current";
}

export interface APIGroupDiscovery {
  metadata: { name?: string };
  versions: APIVersionDiscovery[];
}

export type AggregatedVersion = "v2" | "v2beta1";

export interface APIGroupDiscoveryList {
  kind: "APIGroupDiscoveryList";
  apiVersion: `apidiscovery.k8s.io/${AggregatedVersion}`;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

// ---- ordering ----

/** Go's sort.Strings order (byte-wise), which kube uses for resource names; localeCompare is not that. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedVerbs(verbs: readonly string[]): string[] {
  return [...verbs].sort(byteOrder);
}

/** A resource's verbs as kube lists them: sorted for built-in kinds, in apiextensions' own order for CRDs. */
function resourceVerbs(def: ResourceDef): string[] {
  return capabilitiesOf(def).verbOrder === "declared" ? [...def.verbs] : sortedVerbs(def.verbs);
}

export interface ServedGroup {
  name: string;
  /** Served versions, the preferred one first. */
  versions: string[];
}

/**
 * The non-core groups in discovery order: built-in groups as they appear in `defs` (the registry
 * lists them by priority, as kube does), then CRD-only groups alphabetically.
 */
export function servedGroups(defs: readonly ResourceDef[]): ServedGroup[] {
  const builtin: string[] = [];
  const crd = new Set<string>();
  const versions = new Map<string, Set<string>>();
  const preferred = new Map<string, Set<string>>();
  for (const d of defs) {
    if (d.group === "") continue;
    if (!versions.has(d.group)) {
      versions.set(d.group, new Set());
      preferred.set(d.group, new Set());
    }
    versions.get(d.group)?.add(d.version);
    if (d.preferred) preferred.get(d.group)?.add(d.version);
    if (d.source === "builtin") {
      if (!builtin.includes(d.group)) builtin.push(d.group);
    } else {
      crd.add(d.group);
    }
  }
  // A group with any built-in kind keeps its built-in slot even if CRDs add to it.
  const crdOnly = [...crd].filter((g) => !builtin.includes(g)).sort(byteOrder);
  return [...builtin, ...crdOnly].map((name) => ({
    name,
    versions: orderVersions([...(versions.get(name) ?? [])], preferred.get(name) ?? new Set()),
  }));
}

/** Versions a def marks preferred come first; the rest (and ties) follow kube's version priority. */
function orderVersions(versions: string[], preferred: Set<string>): string[] {
  return versions.sort((a, b) => {
    const pa = preferred.has(a) ? 0 : 1;
    const pb = preferred.has(b) ? 0 : 1;
    return pa !== pb ? pa - pb : compareKubeAwareVersions(a, b);
  });
}

function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function defsOf(defs: readonly ResourceDef[], group: string, version: string): ResourceDef[] {
  return defs.filter((d) => d.group === group && d.version === version).sort((a, b) => byteOrder(a.plural, b.plural));
}

// ---- legacy discovery ----

/** `GET /api`. Only the core group lives here, and it has only v1. */
export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupEntry(g: ServedGroup): APIGroupEntry {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] as GroupVersionForDiscovery };
}

/** `GET /apis`. */
export function apiGroupList(defs: readonly ResourceDef[]): APIGroupList {
  return { kind: "APIGroupList", apiVersion: "v1", groups: servedGroups(defs).map(groupEntry) };
}

/** `GET /apis/<group>`, or null when the group is not served. */
export function apiGroup(defs: readonly ResourceDef[], group: string): APIGroup | null {
  const g = servedGroups(defs).find((s) => s.name === group);
  return g ? { kind: "APIGroup", apiVersion: "v1", ...groupEntry(g) } : null;
}

/**
 * kube's discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/Kind") of the
 * version objects are stored in, base64. Storage-version migrators compare it across restarts.
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash("sha256").update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString("base64");
}

/**
 * The hash for a def: computed from the storage version of its storage group/resource (CRDs mark
 * it with `storageVersion`); without a mark, the preferred version stands in for it.
 */
function hashFor(def: ResourceDef, defs: readonly ResourceDef[], groups: ServedGroup[]): string {
  const sGroup = def.storage?.group ?? def.group;
  const sResource = def.storage?.resource ?? def.plural;
  const candidates = defs.filter((d) => d.group === sGroup && d.plural === sResource);
  const marked = candidates.find((c) => c.storageVersion);
  if (marked) return storageVersionHash(marked.group, marked.version, marked.kind);
  const order = sGroup === "" ? ["v1"] : (groups.find((g) => g.name === sGroup)?.versions ?? []);
  let best: ResourceDef = def;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const rank = order.indexOf(c.version);
    if (rank >= 0 && rank < bestRank) {
      best = c;
      bestRank = rank;
    }
  }
  return storageVersionHash(best.group, best.version, best.kind);
}

function subresourceGVK(def: ResourceDef, sub: SubresourceDef): GroupVersionKind {
  return { group: sub.group ?? def.group, version: sub.version ?? def.version, kind: sub.kind ?? def.kind };
}

function legacyEntries(def: ResourceDef, defs: readonly ResourceDef[], groups: ServedGroup[]): APIResource[] {
  const main: APIResource = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: resourceVerbs(def),
  };
  if (def.shortNames?.length) main.shortNames = [...def.shortNames];
  if (def.categories?.length) main.categories = [...def.categories];
  // Kinds that store nothing (the review APIs) have no storage version, so kube omits the hash.
  if (def.mode === "stored") main.storageVersionHash = hashFor(def, defs, groups);
  const out = [main];
  for (const sub of def.subresources) {
    const gvk = subresourceGVK(def, sub);
    // Only a subresource served as another group-version's kind names it (e.g. serviceaccounts/token).
    const foreign = gvk.group !== def.group || gvk.version !== def.version;
    out.push({
      name: `${def.plural}/${sub.name}`,
      singularName: "",
      namespaced: def.namespaced,
      ...(foreign ? { group: gvk.group, version: gvk.version } : {}),
      kind: gvk.kind,
      verbs: sortedVerbs(sub.verbs),
    });
  }
  return out;
}

/**
 * `GET /api/v1` or `GET /apis/<group>/<version>`, or null when that group-version is not served.
 * Entries are sorted by name as kube's installer does, so `x/status` sits right after `x`.
 */
export function apiResourceList(defs: readonly ResourceDef[], group: string, version: string): APIResourceList | null {
  const own = defsOf(defs, group, version);
  // The core group always answers v1: /api lists it unconditionally.
  if (own.length === 0 && !(group === "" && version === "v1")) return null;
  const groups = servedGroups(defs);
  const resources = own.flatMap((d) => legacyEntries(d, defs, groups)).sort((a, b) => byteOrder(a.name, b.name));
  // kube's /api/v1 carries no apiVersion; /apis/<g>/<v> does.
  if (group === "") return { kind: "APIResourceList", groupVersion: version, resources };
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: groupVersion(group, version), resources };
}

// ---- aggregated discovery (KEP-3352) ----

function aggregatedResource(def: ResourceDef): APIResourceDiscovery {
  const r: APIResourceDiscovery = {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? "Namespaced" : "Cluster",
    singularResource: def.singular,
    verbs: resourceVerbs(def),
  };
  if (def.shortNames?.length) r.shortNames = [...def.shortNames];
  if (def.categories?.length) r.categories = [...def.categories];
  if (def.subresources.length) {
    r.subresources = [...def.subresources]
      .sort((a, b) => byteOrder(a.name, b.name))
      .map((s) => ({ subresource: s.name, responseKind: subresourceGVK(def, s), verbs: sortedVerbs(s.verbs) }));
  }
  return r;
}

function aggregatedVersion(defs: readonly ResourceDef[], group: string, version: string): APIVersionDiscovery {
  return { version, resources: defsOf(defs, group, version).map(aggregatedResource), freshness: "Current" };
}

/**
 * `GET /api` or `GET /apis` asking for `as=APIGroupDiscoveryList`. v2 and v2beta1 differ only in
 * apiVersion. `/api` holds one nameless item for the core group; `/apis` one item per group.
 */
export function aggregatedDiscovery(
  defs: readonly ResourceDef[],
  which: "api" | "apis",
  apiVersion: AggregatedVersion,
): APIGroupDiscoveryList {
  const items: APIGroupDiscovery[] =
    which === "api"
      ? [{ metadata: {}, versions: [aggregatedVersion(defs, "", "v1")] }]
      : servedGroups(defs).map((g) => ({
          metadata: { name: g.name },
          versions: g.versions.map((v) => aggregatedVersion(defs, g.name, v)),
        }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items };
}
