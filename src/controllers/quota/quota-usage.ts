// The quota bookkeeping shared by the ResourceQuota admission plugin and the quota controller:
// every logical cluster's ResourceQuotas (an informer), and the object counts of the resources
// they name (object-counts.ts), counted only while some quota names them. It answers the plugin
// from memory (it has the QuotaLedger shape src/admission/plugins/resource-quota.ts asks for; the
// composition root hands it over, as admission and controllers do not import each other) and tells
// the controller which quotas to bring up to date.

import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { ObjectCounts, storageKeyOf } from "./object-counts.ts";
import { countedResource } from "./quota-names.ts";

/** spec.hard of a quota (names → quantities, canonical as stored). */
export function hardOf(quota: KObject): Record<string, string> {
  const hard = (quota.spec as { hard?: Record<string, unknown> } | undefined)?.hard;
  const out: Record<string, string> = Object.create(null);
  if (hard && typeof hard === "object") for (const [k, v] of Object.entries(hard)) out[k] = String(v);
  return out;
}

/** One quota's limit on a resource (the plugin's QuotaLimit). */
export interface QuotaLimit {
  quota: string;
  resourceName: string;
  hard: string;
}

/** What the cache keeps of a quota: all but managedFields. */
function trimQuota(q: KObject): KObject {
  const { managedFields: _, ...metadata } = q.metadata;
  return { apiVersion: q.apiVersion, kind: q.kind, metadata, spec: q.spec, status: q.status };
}

export class QuotaUsage {
  readonly quotas: Informer;
  private readonly counts: ObjectCounts;
  /** `<cluster>\0<namespace>` → the quotas there, by name. */
  private readonly byNamespace = new Map<string, Map<string, KObject>>();
  /** Quota resource name → the storage key of what it counts (null: nothing); reset when the registry changes. */
  private resolved = new Map<string, string | null>();
  /** `<cluster>\0<namespace>` → storage key → the limits on it there: what each create asks, worked out once. */
  private limitsCache = new Map<string, Map<string, QuotaLimit[]>>();
  private listeners: ((cluster: string, namespace: string, quota: string) => void)[] = [];
  private stopRegistry?: () => void;
  private reconciling = false;

  constructor(
    /** Only read: a store without admission does. */
    store: ObjectStore,
    private readonly registry: ResourceRegistry,
    quotaDef: ResourceDef,
  ) {
    this.counts = new ObjectCounts(store, (key, cluster, namespace) => this.countChanged(key, cluster, namespace));
    this.quotas = new Informer(store, quotaDef, {
      name: "resourcequotas",
      transform: trimQuota,
      onAdd: (q, cluster) => this.quotaSeen(q, cluster),
      onUpdate: (_old, q, cluster) => this.quotaSeen(q, cluster),
      onDelete: (q, cluster) => {
        const at = `${cluster}\0${q.metadata.namespace}`;
        this.byNamespace.get(at)?.delete(q.metadata.name as string);
        if (this.byNamespace.get(at)?.size === 0) this.byNamespace.delete(at);
        this.limitsCache.delete(at);
        this.scheduleReconcile();
      },
    });
  }

  /** Lists the quotas (their counts start in the background; admission waits for them when it must). */
  async start(): Promise<void> {
    this.stopRegistry = this.registry.onChange(() => {
      this.resolved = new Map();
      this.limitsCache = new Map();
      this.scheduleReconcile();
    });
    await this.quotas.start();
    this.reconcile();
  }

  stop(): void {
    this.stopRegistry?.();
    this.quotas.stop();
    this.counts.stop();
  }

  /** Called with each quota to bring up to date: when it changes, and when what it counts does. */
  onQuotaChange(listener: (cluster: string, namespace: string, quota: string) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Every cached quota: its logical cluster and object. */
  *all(): Generator<[string, KObject]> {
    for (const [at, quotas] of this.byNamespace) {
      const cluster = at.slice(0, at.indexOf("\0"));
      for (const q of quotas.values()) yield [cluster, q];
    }
  }

  quota(cluster: string, namespace: string, name: string): KObject | undefined {
    return this.byNamespace.get(`${cluster}\0${namespace}`)?.get(name);
  }

  private quotaSeen(q: KObject, cluster: string): void {
    const namespace = q.metadata.namespace as string;
    const at = `${cluster}\0${namespace}`;
    let quotas = this.byNamespace.get(at);
    if (!quotas) this.byNamespace.set(at, (quotas = new Map()));
    quotas.set(q.metadata.name as string, q);
    this.limitsCache.delete(at);
    this.scheduleReconcile();
    for (const l of this.listeners) l(cluster, namespace, q.metadata.name as string);
  }

  private countChanged(key: string, cluster: string, namespace: string): void {
    const quotas = this.byNamespace.get(`${cluster}\0${namespace}`);
    if (!quotas || this.listeners.length === 0) return;
    for (const q of quotas.values()) {
      if (Object.keys(hardOf(q)).some((n) => this.countedKey(q, n) === key)) {
        for (const l of this.listeners) l(cluster, namespace, q.metadata.name as string);
      }
    }
  }

  /** The storage key a quota resource name counts, through the registry (events.k8s.io events are core events). */
  keyOf(name: string): string | undefined {
    let key = this.resolved.get(name);
    if (key === undefined) {
      const counted = countedResource(name);
      key = null;
      if (counted) {
        key = `${counted.group}/${counted.resource}`;
        for (const d of this.registry.resources("*")) {
          if (d.mode === "stored" && d.namespaced && d.group === counted.group && d.plural === counted.resource) {
            key = storageKeyOf(d);
            break;
          }
        }
      }
      this.resolved.set(name, key);
    }
    return key ?? undefined;
  }

  /**
   * What a quota's resource name counts for that quota: nothing when the quota has scopes, which
   * only pods can match (kube's object-count evaluators match no scope: such a quota neither
   * limits nor counts other objects).
   */
  private countedKey(quota: KObject, name: string): string | undefined {
    const spec = quota.spec as { scopes?: unknown[]; scopeSelector?: unknown } | undefined;
    if ((Array.isArray(spec?.scopes) && spec.scopes.length > 0) || (spec?.scopeSelector ?? null) !== null) {
      return undefined;
    }
    return this.keyOf(name);
  }

  private scheduleReconcile(): void {
    if (this.reconciling) return;
    this.reconciling = true;
    queueMicrotask(() => {
      this.reconciling = false;
      this.reconcile();
    });
  }

  /** Count the resources some quota names (those served anywhere), and stop counting the others. */
  private reconcile(): void {
    const wanted = new Set<string>();
    for (const [, q] of this.all()) {
      for (const name of Object.keys(hardOf(q))) {
        const key = this.countedKey(q, name);
        if (key) wanted.add(key);
      }
    }
    for (const key of this.counts.keys()) if (!wanted.has(key)) this.counts.unfollow(key);
    if (wanted.size === 0) return;
    const defs = new Map<string, ResourceDef>();
    for (const d of this.registry.resources("*")) {
      if (d.mode !== "stored" || !d.namespaced) continue;
      const k = storageKeyOf(d);
      // The storage version's definition, read as stored: only names are needed.
      if (wanted.has(k) && (!defs.has(k) || d.storageVersion)) defs.set(k, d.onRead ? { ...d, onRead: undefined } : d);
    }
    for (const [k, d] of defs) this.counts.follow(k, d);
  }

  /** Resolves once every resource the quota names that is served is counted. */
  whenQuotaCounted(quota: KObject): Promise<void> | undefined {
    const pending: Promise<void>[] = [];
    for (const name of Object.keys(hardOf(quota))) {
      const key = this.countedKey(quota, name);
      const p = key ? this.counts.whenReady(key) : undefined;
      if (p) pending.push(p);
    }
    return pending.length ? Promise.all(pending).then(() => {}) : undefined;
  }

  /** The status a quota should have: hard as in its spec, used counted for each of its names (0 when nothing is). */
  statusOf(cluster: string, quota: KObject): { hard: Record<string, string>; used: Record<string, string> } {
    const hard = hardOf(quota);
    const used: Record<string, string> = Object.create(null);
    for (const name of Object.keys(hard).sort()) {
      const key = this.countedKey(quota, name);
      used[name] = String(key ? this.counts.count(key, cluster, quota.metadata.namespace as string) : 0);
    }
    const sortedHard: Record<string, string> = Object.create(null);
    for (const name of Object.keys(hard).sort()) sortedHard[name] = hard[name] as string;
    return { hard: sortedHard, used };
  }

  // QuotaLedger, for the admission plugin.

  limits(cluster: string, namespace: string, def: ResourceDef): QuotaLimit[] {
    const at = `${cluster}\0${namespace}`;
    const quotas = this.byNamespace.get(at);
    if (!quotas) return [];
    let byKey = this.limitsCache.get(at);
    if (!byKey) {
      byKey = new Map();
      for (const q of quotas.values()) {
        for (const [resourceName, hard] of Object.entries(hardOf(q))) {
          const key = this.countedKey(q, resourceName);
          if (!key) continue;
          const list = byKey.get(key) ?? [];
          list.push({ quota: q.metadata.name as string, resourceName, hard });
          byKey.set(key, list);
        }
      }
      this.limitsCache.set(at, byKey);
    }
    return byKey.get(storageKeyOf(def)) ?? [];
  }

  whenCounted(def: ResourceDef): Promise<void> | undefined {
    const key = storageKeyOf(def);
    // A resource served a moment ago (a new CRD) may not be counted yet: its definition is at hand.
    if (!this.counts.isCounted(key)) this.counts.follow(key, def.onRead ? { ...def, onRead: undefined } : def);
    return this.counts.whenReady(key);
  }

  used(cluster: string, namespace: string, def: ResourceDef): number {
    return this.counts.count(storageKeyOf(def), cluster, namespace, true);
  }

  exists(cluster: string, namespace: string, def: ResourceDef, name: string): boolean {
    return this.counts.exists(storageKeyOf(def), cluster, namespace, name);
  }

  reserve(cluster: string, namespace: string, def: ResourceDef, name: string): void {
    this.counts.reserve(storageKeyOf(def), cluster, namespace, name);
  }
}
