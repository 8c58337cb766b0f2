// The resource registry: which resources a logical cluster serves. Built-in kinds are served in
// every logical cluster; CRD-defined kinds are set per cluster by the CRD controller through
// `setClusterResources`. Lookups return the same ResourceDef path for both.
//
// Inheritance: the CRDs of `admin` are served in every logical cluster, except where the cluster
// defines its own CRD for the same group and resource (or kind), which then wins there. A cluster
// without CRDs of its own shares admin's list and index, so a new logical cluster costs nothing.
// `*` (the `/clusters/*` view) serves the union of every cluster's CRDs, admin's first.
// A few built-in kinds are served in `admin` alone (`logicalclusters`: the clusters themselves).

import { DEFAULT_CLUSTER } from "./logical-clusters.ts";
import type { ResourceDef } from "./types.ts";

/** The logical cluster whose CRDs every other cluster inherits. */
export const INHERITED_FROM = DEFAULT_CLUSTER;
const WILDCARD = "*";

interface Served {
  defs: ResourceDef[];
  index: Map<string, ResourceDef>;
}

function indexOf(defs: ResourceDef[]): Map<string, ResourceDef> {
  const idx = new Map<string, ResourceDef>();
  for (const d of defs) {
    const k = `${d.group}/${d.version}/${d.plural}`;
    if (!idx.has(k)) idx.set(k, d);
  }
  return idx;
}

/** Admin's defs that a cluster's own defs do not shadow (same group and resource, or same group and kind). */
function inheritable(admin: ResourceDef[], own: ResourceDef[]): ResourceDef[] {
  const plurals = new Set(own.map((d) => `${d.group}/${d.plural}`));
  const kinds = new Set(own.map((d) => `${d.group}/${d.kind}`));
  return admin.filter((d) => !plurals.has(`${d.group}/${d.plural}`) && !kinds.has(`${d.group}/${d.kind}`));
}

export class ResourceRegistry {
  private readonly builtins: ResourceDef[];
  /** CRD-defined resources per cluster, as the CRD controller set them. */
  private readonly own = new Map<string, ResourceDef[]>();
  /** Identity-stable served sets per cluster with own defs (discovery and OpenAPI cache by identity). */
  private readonly served = new Map<string, Served>();
  /** What a cluster without own defs serves: built-ins plus admin's CRDs. */
  private inherited: Served;
  /** Kinds served in admin alone, after the built-ins (none: admin serves what it lends). */
  private readonly adminOnly: ResourceDef[];
  private admin?: Served;
  private wildcard?: Served;
  private readonly listeners = new Set<(cluster: string) => void>();

  constructor(builtins: ResourceDef[], adminOnly: ResourceDef[] = []) {
    this.builtins = builtins;
    this.adminOnly = adminOnly;
    this.inherited = { defs: builtins, index: indexOf(builtins) };
  }

  private servedIn(cluster: string): Served {
    if (cluster === WILDCARD) {
      this.wildcard ??= this.buildWildcard();
      return this.wildcard;
    }
    if (cluster === INHERITED_FROM) {
      if (this.adminOnly.length === 0) return this.inherited;
      if (!this.admin) {
        const defs = [...this.builtins, ...this.adminOnly, ...this.inherited.defs.slice(this.builtins.length)];
        this.admin = { defs, index: indexOf(defs) };
      }
      return this.admin;
    }
    const own = this.own.get(cluster);
    return own ? this.servedOwn(cluster, own) : this.inherited;
  }

  private servedOwn(cluster: string, own: ResourceDef[]): Served {
    let s = this.served.get(cluster);
    if (!s) {
      const admin = this.own.get(INHERITED_FROM) ?? [];
      const defs = [...this.builtins, ...inheritable(admin, own), ...own];
      s = { defs, index: indexOf(defs) };
      this.served.set(cluster, s);
    }
    return s;
  }

  private buildWildcard(): Served {
    const admin = this.own.get(INHERITED_FROM) ?? [];
    const rest = [...this.own].filter(([c]) => c !== INHERITED_FROM).flatMap(([, d]) => d);
    const seen = new Set<string>();
    const crds: ResourceDef[] = [];
    for (const d of [...admin, ...rest]) {
      const k = `${d.group}/${d.version}/${d.plural}`;
      if (seen.has(k)) continue;
      seen.add(k);
      crds.push(d);
    }
    const defs = crds.length ? [...this.builtins, ...crds] : this.builtins;
    return { defs, index: indexOf(defs) };
  }

  /** Every resource served in `cluster`, built-ins first, in discovery order. */
  resources(cluster: string): ResourceDef[] {
    return this.servedIn(cluster).defs;
  }

  /** The resource `group/version/resource` as served in `cluster`, or undefined. */
  lookup(cluster: string, group: string, version: string, resource: string): ResourceDef | undefined {
    return this.servedIn(cluster).index.get(`${group}/${version}/${resource}`);
  }

  /** The CRD-defined resources `cluster` defines itself (not the inherited ones). */
  ownResources(cluster: string): ResourceDef[] {
    return this.own.get(cluster) ?? [];
  }

  /** Clusters that define CRD resources of their own. */
  clustersWithOwnResources(): string[] {
    return [...this.own.keys()];
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

  /**
   * Replace the CRD-defined resources of a cluster. A change in `admin` changes every cluster that
   * inherits from it: listeners are then told "admin" and "*" (all clusters).
   */
  setClusterResources(cluster: string, defs: ResourceDef[]): void {
    if (defs.length === 0) this.own.delete(cluster);
    else this.own.set(cluster, defs);
    this.wildcard = undefined;
    if (cluster === INHERITED_FROM) {
      const defs = [...this.builtins, ...(this.own.get(INHERITED_FROM) ?? [])];
      this.inherited = { defs: defs.length === this.builtins.length ? this.builtins : defs, index: indexOf(defs) };
      this.admin = undefined;
      this.served.clear();
    } else {
      this.served.delete(cluster);
    }
    for (const l of this.listeners) l(cluster);
    if (cluster === INHERITED_FROM) for (const l of this.listeners) l(WILDCARD);
  }

  /** Be told when a cluster's set of resources changes (discovery and OpenAPI caches). */
  onChange(listener: (cluster: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
