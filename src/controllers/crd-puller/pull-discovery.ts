// Which resources a cluster serves, for the CRD puller: every group-version's resource list, one
// version per group-resource — the group's preferred version, else the first version (in the
// server's order of preference) that has it, as client-go's ServerPreferredResources chooses, so a
// kind that exists only in an older version (CronJob: batch/v1beta1 in Kubernetes 1.13, whose
// preferred batch version is v1) is still found. Subresources (`deployments/status`) are folded
// into their resource and never listed as resources. Unlike DiscoveryClient it keeps the singular
// name and reads the non-preferred versions.

import type { RestClient } from "../../client/rest-client.ts";
import type { PulledResourceNames } from "../../apis/crd-pull/pulled-crd.ts";
import { isObject } from "../../machinery/object.ts";

export interface DiscoveredResource extends PulledResourceNames {
  verbs: string[];
  /** "status", "scale", … */
  subresources: string[];
}

export interface PullDiscovery {
  /** In discovery order: the core group first, then the groups as the server lists them. */
  resources: DiscoveredResource[];
  /** Group-versions whose resource list could not be read ("metrics.k8s.io/v1beta1: …"). */
  failed: string[];
  /** The groups of those group-versions ("" for the core group): what they serve is not known. */
  failedGroups: string[];
}

const MAX_DISCOVERY_BYTES = 8 * 1024 * 1024;
/** A cluster with more group-versions than this is not one (kube 1.3x has ~30; CRD-heavy clusters a few hundred). */
export const MAX_GROUP_VERSIONS = 2000;

interface GroupVersionRef {
  group: string;
  version: string;
  path: string;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && s !== "") : [];

export async function discoverForPull(rest: RestClient): Promise<PullDiscovery> {
  const get = (path: string) => rest.request<unknown>({ method: "GET", path, maxResponseBytes: MAX_DISCOVERY_BYTES });
  // group -> its versions, preferred first
  const groups: { group: string; versions: GroupVersionRef[] }[] = [];
  const core = await get("/api");
  const coreVersions = isObject(core) ? strings(core.versions) : [];
  if (coreVersions.length > 0) {
    groups.push({ group: "", versions: coreVersions.map((v) => ({ group: "", version: v, path: `/api/${v}` })) });
  }
  const list = await get("/apis");
  for (const g of isObject(list) && Array.isArray(list.groups) ? list.groups : []) {
    if (!isObject(g) || typeof g.name !== "string" || g.name === "") continue;
    const group = g.name;
    const listed = (Array.isArray(g.versions) ? g.versions : [])
      .map((v) => (isObject(v) && typeof v.version === "string" ? v.version : ""))
      .filter((v) => v !== "");
    const preferred =
      isObject(g.preferredVersion) && typeof g.preferredVersion.version === "string"
        ? g.preferredVersion.version
        : listed[0];
    const ordered = [...new Set([...(preferred ? [preferred] : []), ...listed])];
    groups.push({
      group,
      versions: ordered.map((v) => ({ group, version: v, path: `/apis/${group}/${v}` })),
    });
  }

  const total = groups.reduce((n, g) => n + g.versions.length, 0);
  if (total > MAX_GROUP_VERSIONS) {
    throw new Error(`discovery lists ${total} group-versions, more than ${MAX_GROUP_VERSIONS}`);
  }
  const failed: string[] = [];
  const failedGroups = new Set<string>();
  const lists = await Promise.all(
    groups.flatMap((g) =>
      g.versions.map(async (gv) => {
        try {
          const doc = await get(gv.path);
          return isObject(doc) && Array.isArray(doc.resources) ? doc.resources.filter(isObject) : [];
        } catch (e) {
          // An aggregated API that is down (metrics.k8s.io answering 503) must not stop the rest.
          failed.push(`${gv.group ? `${gv.group}/` : ""}${gv.version}: ${(e as Error).message}`);
          failedGroups.add(gv.group);
          return [];
        }
      }),
    ),
  );

  const resources: DiscoveredResource[] = [];
  let at = 0;
  for (const g of groups) {
    const chosen = new Map<string, DiscoveredResource>();
    for (const gv of g.versions) {
      const entries = lists[at++] ?? [];
      const here = new Map<string, DiscoveredResource>();
      for (const r of entries) {
        const name = typeof r.name === "string" ? r.name : "";
        if (name === "" || name.includes("/") || chosen.has(name) || typeof r.kind !== "string") continue;
        const d: DiscoveredResource = {
          group: g.group,
          version: gv.version,
          plural: name,
          kind: r.kind,
          namespaced: r.namespaced === true,
          verbs: strings(r.verbs),
          subresources: [],
        };
        if (typeof r.singularName === "string" && r.singularName !== "") d.singular = r.singularName;
        const shortNames = strings(r.shortNames);
        if (shortNames.length > 0) d.shortNames = shortNames;
        const categories = strings(r.categories);
        if (categories.length > 0) d.categories = categories;
        here.set(name, d);
      }
      for (const r of entries) {
        const name = typeof r.name === "string" ? r.name : "";
        const slash = name.indexOf("/");
        if (slash > 0) here.get(name.slice(0, slash))?.subresources.push(name.slice(slash + 1));
      }
      for (const [name, d] of here) {
        chosen.set(name, d);
        resources.push(d);
      }
    }
  }
  return { resources, failed, failedGroups: [...failedGroups].sort() };
}

/** "deployments.apps", or "pods" for the core group. */
export function groupResourceOf(r: { group: string; plural: string }): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/**
 * The resource a requested name means: "deployments.apps" (group and resource), "pods.core" (the
 * core group spelt as kcp's CRDs spell it), or a bare "deployments": the first group that has it,
 * in discovery order (the core group first), as kubectl resolves it.
 */
export function findRequested(resources: DiscoveredResource[], name: string): DiscoveredResource | undefined {
  const n = name.toLowerCase();
  return (
    resources.find((r) => groupResourceOf(r) === n) ??
    resources.find((r) => r.group === "" && `${r.plural}.core` === n) ??
    resources.find((r) => r.plural === n)
  );
}
