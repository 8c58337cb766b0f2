// Every object of every logical cluster, read through the cross-cluster view `/clusters/*`, as
// `cluster/group/resource/namespace/name → uid@resourceVersion`: compared before and after a run,
// no object may have appeared, changed or gone outside the clusters the run was allowed to write.

import type { ApiResource } from "./requests.ts";

type Get = (path: string) => Promise<{ status: number; json: unknown }>;

interface Item {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
}

export type Snapshot = Map<string, string>;

export async function snapshot(get: Get, resources: ApiResource[]): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const seen = new Set<string>();
  for (const r of resources) {
    if (r.subresource || !r.verbs.includes("list")) continue;
    const key = `${r.group}/${r.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const res = await get(`/clusters/*${prefix}/${r.resource}`);
    if (res.status !== 200)
      throw new Error(`listing ${key} across clusters: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
    for (const item of (res.json as { items: Item[] }).items ?? []) {
      const m = item.metadata ?? {};
      const cluster = m.annotations?.["kcp.io/cluster"] ?? "?";
      out.set(`${cluster}/${key}/${m.namespace ?? ""}/${m.name}`, `${m.uid}@${m.resourceVersion}`);
    }
  }
  return out;
}

/** Objects added, changed or removed in a cluster the run may not write to. */
export function changesOutside(before: Snapshot, after: Snapshot, allowed: (cluster: string) => boolean): string[] {
  const out: string[] = [];
  const clusterOf = (key: string) => key.slice(0, key.indexOf("/"));
  for (const [k, v] of after) {
    if (allowed(clusterOf(k))) continue;
    const old = before.get(k);
    if (old === undefined) out.push(`added ${k}`);
    else if (old !== v) out.push(`changed ${k} (${old} → ${v})`);
  }
  for (const k of before.keys()) if (!after.has(k) && !allowed(clusterOf(k))) out.push(`removed ${k}`);
  return out;
}
