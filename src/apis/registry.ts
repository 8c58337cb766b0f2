// The resource registry: which resources a logical cluster serves. Built-in kinds are served in
// every logical cluster; CRD-defined kinds are added per cluster by the CRD controller (its own issue)
// through `setClusterResources`. Lookups return the same ResourceDef path for both.

import type { ResourceDef } from "./types.ts";

export class ResourceRegistry {
  private readonly builtins: ResourceDef[];
  private readonly extra = new Map<string, ResourceDef[]>();
  /** Cached, identity-stable lists per cluster, so discovery can cache rendered documents by identity. */
  private readonly merged = new Map<string, ResourceDef[]>();
  private readonly index = new Map<string, Map<string, ResourceDef>>();
  private readonly listeners = new Set<(cluster: string) => void>();

  constructor(builtins: ResourceDef[]) {
    this.builtins = builtins;
  }

  /** Every resource served in `cluster`, built-ins first, in discovery order. */
  resources(cluster: string): ResourceDef[] {
    const own = this.extra.get(cluster);
    if (!own || own.length === 0) return this.builtins;
    let m = this.merged.get(cluster);
    if (!m) {
      m = [...this.builtins, ...own];
      this.merged.set(cluster, m);
    }
    return m;
  }

  /** The resource `group/version/resource` as served in `cluster`, or undefined. */
  lookup(cluster: string, group: string, version: string, resource: string): ResourceDef | undefined {
    const defs = this.resources(cluster);
    let idx = this.index.get(defs === this.builtins ? "" : cluster);
    if (!idx) {
      idx = new Map();
      for (const d of defs) idx.set(`${d.group}/${d.version}/${d.plural}`, d);
      this.index.set(defs === this.builtins ? "" : cluster, idx);
    }
    return idx.get(`${group}/${version}/${resource}`);
  }

  /** Every stored resource that lives in namespaces (for namespace deletion), one entry per storage location. */
  namespacedStorageResources(cluster: string): ResourceDef[] {
    const seen = new Set<string>();
    const out: ResourceDef[] = [];
    for (const d of this.resources(cluster)) {
      if (!d.namespaced || d.mode !== "stored") continue;
      const s = d.storage ?? { group: d.group, resource: d.plural };
      const k = `${s.group}/${s.resource}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(d);
    }
    return out;
  }

  /** Replace the dynamically defined resources of a cluster (CRDs). */
  setClusterResources(cluster: string, defs: ResourceDef[]): void {
    if (defs.length === 0) this.extra.delete(cluster);
    else this.extra.set(cluster, defs);
    this.merged.delete(cluster);
    this.index.delete(cluster);
    for (const l of this.listeners) l(cluster);
  }

  /** Be told when a cluster's set of resources changes (discovery and OpenAPI caches). */
  onChange(listener: (cluster: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
