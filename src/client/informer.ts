// An informer, as client-go's: list a collection, then watch it from the list's resourceVersion so
// nothing in between is missed, keep every object in memory, and tell handlers what changed
// (onAdd, onUpdate(old, new), onDelete). When the watch is lost (compaction, a slow consumer, the
// storage or server restarting) it lists again, retrying with backoff while the source is
// unavailable, and diffs the new list against its cache: objects that went away during the gap get
// onDelete, new ones onAdd, the others onUpdate (client-go's Replace). An optional resync calls
// onUpdate(obj, obj) for every cached object periodically. An indexer (addIndex/byIndex) finds
// cached objects by a computed value (client-go's Indexer).
//
// What it lists and watches is a source (informer-sources.ts): the object store directly (the
// in-process flavour, for controllers and admission views inside the server: `new Informer(store,
// def, opts)`, following all logical clusters with one list and one watch by default) or a
// ResourceClient over HTTP (`new Informer({ name, source: remoteSource(client) })`: paged lists,
// watches with bookmarks, re-watch from the last resourceVersion, relist on 410). Each object's
// logical cluster is given to the handlers.
//
// One informer can serve several consumers (client-go's shared informer): addHandlers() registers
// another set of handlers, which first hears onAdd for every cached object. A `transform` trims
// what the cache keeps (client-go's SetTransform): the fields no consumer reads cost no memory.
//
// Objects handed out are shared (with the cache and other watchers of the same storage event):
// handlers must not mutate them.

import type { ObjectStore } from "../apis/store.ts";
import type { KObject, ResourceDef } from "../apis/types.ts";
import { log } from "../log.ts";
import type { FieldSelector } from "../machinery/selectors/field-selector.ts";
import type { LabelSelector } from "../machinery/selectors/label-selector.ts";
import { type InformerSource, type SourceWatch, storeSource } from "./informer-sources.ts";

export type { InformerSource, SourceEvent, SourceWatch, SourceWatchHandlers } from "./informer-sources.ts";
export { remoteSource, storeSource } from "./informer-sources.ts";

export interface InformerHandlers {
  onAdd?(obj: KObject, cluster: string): void;
  onUpdate?(oldObj: KObject, newObj: KObject, cluster: string): void;
  onDelete?(obj: KObject, cluster: string): void;
}

interface CommonOptions extends InformerHandlers {
  /** Names the informer in logs. */
  name: string;
  /** Every this many milliseconds, onUpdate(obj, obj) for every cached object; 0 or absent: never. */
  resyncMs?: number;
  /**
   * What the cache keeps of each object, and handlers get: a new object (the one given is shared
   * with other watchers and must not be changed). Default: the object as served.
   */
  transform?(obj: KObject): KObject;
}

/** Options of a store-backed informer (`new Informer(store, def, opts)`). */
export interface InformerOptions extends CommonOptions {
  /** One logical cluster; undefined (the default) follows all of them. */
  cluster?: string;
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /**
   * Which stored objects are decoded, listed and watched (see WatchObjectsOptions.accepts; lists ask
   * it with no previous value): the others are not seen, and the cache holds only those.
   */
  accepts?(value: string, prevValue: string | undefined): boolean;
  /**
   * List in pages of this many objects (one consistent snapshot, through continue tokens), giving
   * the event loop back between pages: a large first list does not stall the server for its
   * duration. Absent: one list.
   */
  pageSize?: number;
}

/** Options of an informer over any source (`new Informer(opts)`), e.g. remoteSource(resourceClient). */
export interface SourceInformerOptions extends CommonOptions {
  source: InformerSource;
}

/** Values an object is indexed under (client-go's IndexFunc); none: not in the index. */
export type IndexFunc = (obj: KObject, cluster: string) => string[];

const MAX_BACKOFF_MS = 5000;
/**
 * Rounds whose watch failed at once (refused with a Status: 403 list-but-not-watch, 429, an ERROR
 * event) back off up to this, as client-go's reflector does (its cap is 30 s): each relist costs
 * the server a list and every handler an onUpdate per object.
 */
const MAX_ROUND_BACKOFF_MS = 30_000;
/** A watch that stayed up this long was healthy: the next round starts at once again. */
const HEALTHY_WATCH_MS = 10_000;

interface Entry {
  obj: KObject;
  cluster: string;
}

interface Index {
  fn: IndexFunc;
  byValue: Map<string, Set<string>>;
}

function cacheKey(cluster: string, namespace: string | undefined, name: string | undefined): string {
  return `${cluster}/${namespace ?? ""}/${name ?? ""}`;
}

export class Informer {
  private cache = new Map<string, Entry>();
  private readonly indexes = new Map<string, Index>();
  private watch?: SourceWatch;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private resyncTimer?: ReturnType<typeof setInterval>;
  private stopped = false;
  private synced = false;
  private current = false;
  private starting?: Promise<void>;
  private resourceVersion = "";
  /** Counts list+watch rounds: callbacks of an earlier round are ignored. */
  private round = 0;
  /** The last list failure's message (repeats are logged at debug level). */
  private lastListError?: string;
  /** Rounds in a row whose watch ended without delivering anything and soon (reset by a healthy watch). */
  private failedRounds = 0;
  /** The handler sets: the options' own, then those added by addHandlers(). */
  private handlers: InformerHandlers[];
  private readonly source: InformerSource;
  private readonly opts: CommonOptions;

  constructor(opts: SourceInformerOptions);
  constructor(store: ObjectStore, def: ResourceDef, opts: InformerOptions);
  constructor(a: ObjectStore | SourceInformerOptions, def?: ResourceDef, storeOpts?: InformerOptions) {
    if (def && storeOpts) {
      this.opts = storeOpts;
      this.source = storeSource(a as ObjectStore, def, storeOpts);
    } else {
      const opts = a as SourceInformerOptions;
      this.opts = opts;
      this.source = opts.source;
    }
    this.handlers = [this.opts];
  }

  /**
   * Another consumer's handlers. Once the informer has synced they first hear onAdd for every
   * cached object, as client-go's AddEventHandler does. Returns the function that removes them.
   */
  addHandlers(h: InformerHandlers): () => void {
    this.handlers = [...this.handlers, h];
    if (this.synced) for (const e of [...this.cache.values()]) this.notify(() => h.onAdd?.(e.obj, e.cluster));
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }

  /**
   * List (onAdd for each object) and start watching. Resolves once the first list has been
   * delivered (hasSynced); rejects when that list fails (start() may then be called again; once
   * started, later failures are retried with backoff). Calling it while starting or started
   * returns the same promise.
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.listAndWatch();
      const every = this.opts.resyncMs ?? 0;
      if (every > 0 && !this.stopped) this.resyncTimer = setInterval(() => this.resync(), every);
    })().catch((e) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  stop(): void {
    this.stopped = true;
    this.current = false;
    this.watch?.stop();
    this.watch = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.retryTimer = undefined;
    this.resyncTimer = undefined;
  }

  /** True once the first list has been delivered (client-go's HasSynced). */
  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * The resourceVersion the cache is known to be current at (client-go's LastSyncResourceVersion):
   * from the last list, then each event and bookmark. "" before the first list.
   */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** True while the cache follows its source: from a list until its watch is lost. */
  isCurrent(): boolean {
    return this.current;
  }

  /**
   * A cached object (namespace undefined or "" for cluster-scoped kinds). `cluster` defaults to the
   * source's own logical cluster (a remote source's, or a store informer's `cluster` option), else "".
   */
  get(namespace: string | undefined, name: string, cluster?: string): KObject | undefined {
    return this.cache.get(cacheKey(cluster ?? this.source.cluster ?? "", namespace || undefined, name))?.obj;
  }

  /** The cached objects, of one logical cluster or of all. */
  list(cluster?: string): KObject[] {
    const out: KObject[] = [];
    for (const e of this.cache.values()) if (cluster === undefined || e.cluster === cluster) out.push(e.obj);
    return out;
  }

  /**
   * Keeps cached objects findable by the values `fn` computes (e.g. a label, an owner's uid).
   * Added before or after start(); objects already cached are indexed at once.
   */
  addIndex(name: string, fn: IndexFunc): void {
    if (this.indexes.has(name)) throw new Error(`${this.opts.name}: index "${name}" already exists`);
    const index: Index = { fn, byValue: new Map() };
    this.indexes.set(name, index);
    for (const [key, e] of this.cache) this.indexEntry(index, key, e);
  }

  /** The cached objects that index `name` puts under `value`. */
  byIndex(name: string, value: string): KObject[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`${this.opts.name}: no index named "${name}"`);
    const out: KObject[] = [];
    for (const key of index.byValue.get(value) ?? []) {
      const e = this.cache.get(key);
      if (e) out.push(e.obj);
    }
    return out;
  }

  private async listAndWatch(): Promise<void> {
    const entries: Entry[] = [];
    const { resourceVersion } = await this.source.list(
      (items, cluster) => {
        for (const served of items) entries.push({ cluster: this.clusterOf(served, cluster), obj: this.keep(served) });
      },
      () => this.stopped,
    );
    if (this.stopped) return;
    const round = ++this.round;
    this.lastListError = undefined;
    this.replace(entries);
    this.synced = true;
    this.current = true;
    this.resourceVersion = resourceVersion;
    const watchedAt = Date.now();
    this.watch = this.source.watch(resourceVersion, {
      onEvent: (ev) => {
        if (round !== this.round || this.stopped) return;
        this.failedRounds = 0;
        const rv = ev.object?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        this.apply(ev.type, ev.object, ev.cluster);
      },
      onClose: (err) => {
        if (round !== this.round || this.stopped) return;
        this.current = false;
        this.watch = undefined;
        if (Date.now() - watchedAt >= HEALTHY_WATCH_MS) this.failedRounds = 0;
        // The first relist after a healthy watch is at once (a 410 is routine); a watch that keeps
        // failing straight after its list waits longer each time.
        const n = this.failedRounds++;
        const delay = n === 0 ? 0 : Math.min(100 * 2 ** (n - 1), MAX_ROUND_BACKOFF_MS);
        const message = `${this.opts.name}: watch ended (${err.message}); relisting${delay ? ` in ${delay} ms` : ""}`;
        if (n <= 1) log.warn(message);
        else log.debug(message);
        if (delay === 0) this.relist(0);
        else {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.relist(0);
          }, delay);
        }
      },
    });
  }

  private clusterOf(obj: KObject, cluster?: string): string {
    return this.source.clusterOf(obj, cluster);
  }

  private relist(attempt: number): void {
    if (this.stopped) return;
    this.listAndWatch().catch((e) => {
      if (this.stopped) return;
      const delay = Math.min(100 * 2 ** attempt, MAX_BACKOFF_MS);
      const message = (e as Error).message;
      // Said once per new reason: a type deleted for good would otherwise warn every 5 s forever.
      const line = `${this.opts.name}: list failed (${message}); retrying in ${delay} ms`;
      if (message === this.lastListError) log.debug(line);
      else log.warn(line);
      this.lastListError = message;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.relist(attempt + 1);
      }, delay);
    });
  }

  /** The cache becomes `items`; handlers hear the difference. */
  private replace(entries: Entry[]): void {
    const previous = this.cache;
    const next = new Map<string, Entry>();
    const notes: ((h: InformerHandlers) => void)[] = [];
    for (const { obj, cluster } of entries) {
      const key = cacheKey(cluster, obj.metadata.namespace, obj.metadata.name);
      next.set(key, { obj, cluster });
      const old = previous.get(key);
      if (old) notes.push((h) => h.onUpdate?.(old.obj, obj, cluster));
      else notes.push((h) => h.onAdd?.(obj, cluster));
    }
    for (const [key, old] of previous) {
      if (!next.has(key)) notes.push((h) => h.onDelete?.(old.obj, old.cluster));
    }
    this.cache = next;
    for (const index of this.indexes.values()) {
      index.byValue.clear();
      for (const [key, e] of next) this.indexEntry(index, key, e);
    }
    for (const note of notes) this.notifyAll(note);
  }

  private apply(type: string, object: KObject, eventCluster?: string): void {
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    const cluster = this.clusterOf(object, eventCluster);
    const obj = this.keep(object);
    const key = cacheKey(cluster, obj.metadata.namespace, obj.metadata.name);
    const old = this.cache.get(key);
    if (old) for (const index of this.indexes.values()) this.unindexEntry(index, key, old);
    if (type === "DELETED") {
      this.cache.delete(key);
      this.notifyAll((h) => h.onDelete?.(obj, cluster));
      return;
    }
    const entry = { obj, cluster };
    this.cache.set(key, entry);
    for (const index of this.indexes.values()) this.indexEntry(index, key, entry);
    if (old) this.notifyAll((h) => h.onUpdate?.(old.obj, obj, cluster));
    else this.notifyAll((h) => h.onAdd?.(obj, cluster));
  }

  private indexEntry(index: Index, key: string, e: Entry): void {
    for (const value of this.indexValues(index, e)) {
      let keys = index.byValue.get(value);
      if (!keys) index.byValue.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindexEntry(index: Index, key: string, e: Entry): void {
    for (const value of this.indexValues(index, e)) {
      const keys = index.byValue.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.byValue.delete(value);
    }
  }

  /** An index function that throws is a bug in it: logged, and the object is not indexed by it. */
  private indexValues(index: Index, e: Entry): string[] {
    try {
      return index.fn(e.obj, e.cluster);
    } catch (err) {
      log.error(`${this.opts.name}: an index function failed: ${(err as Error).stack ?? err}`);
      return [];
    }
  }

  private resync(): void {
    for (const e of [...this.cache.values()]) this.notifyAll((h) => h.onUpdate?.(e.obj, e.obj, e.cluster));
  }

  private keep(obj: KObject): KObject {
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private notifyAll(call: (h: InformerHandlers) => void): void {
    for (const h of this.handlers) this.notify(() => call(h));
  }

  /**
   * A handler that throws is a bug in it: logged as an error with its stack, and the informer goes
   * on for the other handlers and events (that handler misses this one event, as with client-go).
   */
  private notify(call: () => void): void {
    try {
      call();
    } catch (e) {
      log.error(`${this.opts.name}: a handler failed: ${(e as Error).stack ?? e}`);
    }
  }
}
