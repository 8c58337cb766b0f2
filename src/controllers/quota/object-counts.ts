// Object counts per logical cluster and namespace, for the resources some quota counts: one
// informer per resource across all logical clusters (a list, then a watch), whose cache keeps only
// each object's name and namespace, and whose creates and deletes move a counter. Updates are
// never even decoded (the informer accepts only stored writes without a previous value). Creates
// admitted by the ResourceQuota plugin but not seen yet are counted as reservations until the
// watch brings them, or until they expire (the write failed after admission).

import { storageOf } from "../../apis/store.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { log } from "../../log.ts";

/** The storage resource a definition reads and writes (its versions and aliases share it). */
export function storageKeyOf(def: ResourceDef): string {
  const s = storageOf(def);
  return `${s.group}/${s.resource}`;
}

/** How long an admitted create counts without being seen (kube's quota admission waits 10 s at most). */
const RESERVATION_MS = 10_000;

interface Counted {
  informer: Informer;
  synced: boolean;
  /** Resolves once the first list is in (retried until it is, or until the resource is dropped). */
  ready: Promise<void>;
  /** `<cluster>\0<namespace>` → objects. */
  counts: Map<string, number>;
}

/** Only what counting needs: a few dozen bytes per object. */
function nameOnly(obj: KObject): KObject {
  return { metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } };
}

/** Creates only: a stored write with a previous value is an update, which changes no count. */
function isCreate(_value: string, prevValue: string | undefined): boolean {
  return prevValue === undefined;
}

export class ObjectCounts {
  private readonly counted = new Map<string, Counted>();
  /** `<resource key>\0<cluster>\0<namespace>` → name → when the reservation expires. */
  private readonly reservations = new Map<string, Map<string, number>>();
  private stopped = false;

  constructor(
    /** Only read: a store without admission does. */
    private readonly store: ObjectStore,
    /** Told when a count changes: the resource key, logical cluster and namespace. */
    private readonly changed: (key: string, cluster: string, namespace: string) => void,
  ) {}

  /** The resource keys being counted. */
  keys(): string[] {
    return [...this.counted.keys()];
  }

  /** Start counting a resource (nothing when it is counted already). */
  follow(key: string, def: ResourceDef): void {
    if (this.stopped || this.counted.has(key)) return;
    const counts = new Map<string, number>();
    const move = (obj: KObject, cluster: string, by: number) => {
      const namespace = obj.metadata.namespace ?? "";
      const at = `${cluster}\0${namespace}`;
      const n = (counts.get(at) ?? 0) + by;
      if (n > 0) counts.set(at, n);
      else counts.delete(at);
      if (by > 0) this.reservations.get(`${key}\0${at}`)?.delete(obj.metadata.name as string);
      this.changed(key, cluster, namespace);
    };
    const informer = new Informer(this.store, def, {
      name: `quota counts: ${key}`,
      transform: nameOnly,
      accepts: isCreate,
      pageSize: 500,
      onAdd: (obj, cluster) => move(obj, cluster, 1),
      onDelete: (obj, cluster) => move(obj, cluster, -1),
    });
    const entry: Counted = { informer, synced: false, ready: Promise.resolve(), counts };
    this.counted.set(key, entry);
    entry.ready = this.startCounting(key, entry);
  }

  private async startCounting(key: string, entry: Counted): Promise<void> {
    for (let attempt = 0; !this.stopped && this.counted.get(key) === entry; attempt++) {
      try {
        await entry.informer.start();
        entry.synced = true;
        return;
      } catch (e) {
        log.warn(`quota: listing ${key} failed (${(e as Error).message}); retrying`);
        await Bun.sleep(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  /** Stop counting a resource no quota names any more. */
  unfollow(key: string): void {
    const entry = this.counted.get(key);
    if (!entry) return;
    this.counted.delete(key);
    entry.informer.stop();
    for (const k of [...this.reservations.keys()]) if (k.startsWith(`${key}\0`)) this.reservations.delete(k);
  }

  /** Resolves once the resource's first list is in; undefined when it is (or it is not counted). */
  whenReady(key: string): Promise<void> | undefined {
    const entry = this.counted.get(key);
    return entry && !entry.synced ? entry.ready : undefined;
  }

  isCounted(key: string): boolean {
    return this.counted.has(key);
  }

  /** Objects of the resource in the namespace; with `reserved`, also the admitted creates not seen yet. */
  count(key: string, cluster: string, namespace: string, reserved = false): number {
    const n = this.counted.get(key)?.counts.get(`${cluster}\0${namespace}`) ?? 0;
    return reserved ? n + this.reservedIn(`${key}\0${cluster}\0${namespace}`) : n;
  }

  private reservedIn(at: string): number {
    const names = this.reservations.get(at);
    if (!names) return 0;
    // Names are kept in the order they expire (reserve re-inserts), so only the expired head is visited.
    const now = Date.now();
    for (const [name, expires] of names) {
      if (expires > now) break;
      names.delete(name);
    }
    if (names.size === 0) this.reservations.delete(at);
    return names.size;
  }

  exists(key: string, cluster: string, namespace: string, name: string): boolean {
    return this.counted.get(key)?.informer.get(namespace, name, cluster) !== undefined;
  }

  reserve(key: string, cluster: string, namespace: string, name: string): void {
    if (!this.counted.has(key)) return;
    const at = `${key}\0${cluster}\0${namespace}`;
    let names = this.reservations.get(at);
    if (!names) this.reservations.set(at, (names = new Map()));
    names.delete(name);
    names.set(name, Date.now() + RESERVATION_MS);
  }

  stop(): void {
    this.stopped = true;
    for (const key of [...this.counted.keys()]) this.unfollow(key);
  }
}
