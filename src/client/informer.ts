// An informer, as client-go's: list a collection, then watch it from the list's resourceVersion so
// nothing in between is missed, keep every object in memory, and tell handlers what changed
// (onAdd, onUpdate(old, new), onDelete). When the watch is lost (compaction, a slow consumer, the
// storage restarting) it lists again, retrying with backoff while storage is unavailable, and
// diffs the new list against its cache: objects that went away during the gap get onDelete, new
// ones onAdd, the others onUpdate (client-go's Replace). An optional resync calls onUpdate(obj, obj)
// for every cached object periodically.
//
// This is the in-process ("loopback") flavour of src/client/: it reads the object store directly
// (ObjectStore.list and the decoded watch of apis/object-watch.ts) rather than the HTTP API, for the
// controllers and the admission views that run inside the server. A client over HTTP would offer
// the same shape. By default it follows all logical clusters with one list and one watch per
// resource; each object's cluster is given to the handlers (and the wildcard view annotates the
// objects with it, as `/clusters/*` reads do).
//
// One informer can serve several consumers (client-go's shared informer): addHandlers() registers
// another set of handlers, which first hears onAdd for every cached object. A `transform` trims
// what the cache keeps (client-go's SetTransform): the fields no consumer reads cost no memory.
//
// Objects handed out are shared (with the cache and other watchers of the same storage event):
// handlers must not mutate them.

import { log } from "../log.ts";
import { CLUSTER_ANNOTATION } from "../apis/object-codec.ts";
import { type ObjectEvent, type ObjectWatch, watchObjects } from "../apis/object-watch.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, ResourceDef } from "../apis/types.ts";
import type { FieldSelector } from "../machinery/selectors/field-selector.ts";
import type { LabelSelector } from "../machinery/selectors/label-selector.ts";

export interface InformerHandlers {
  onAdd?(obj: KObject, cluster: string): void;
  onUpdate?(oldObj: KObject, newObj: KObject, cluster: string): void;
  onDelete?(obj: KObject, cluster: string): void;
}

export interface InformerOptions extends InformerHandlers {
  /** Names the informer in logs. */
  name: string;
  /** One logical cluster; undefined (the default) follows all of them. */
  cluster?: string;
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Every this many milliseconds, onUpdate(obj, obj) for every cached object; 0 or absent: never. */
  resyncMs?: number;
  /**
   * What the cache keeps of each object, and handlers get: a new object (the one given is shared
   * with other watchers and must not be changed). Default: the object as served.
   */
  transform?(obj: KObject): KObject;
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

const MAX_BACKOFF_MS = 5000;

interface Entry {
  obj: KObject;
  cluster: string;
}

function cacheKey(cluster: string, namespace: string | undefined, name: string | undefined): string {
  return `${cluster}/${namespace ?? ""}/${name ?? ""}`;
}

export class Informer {
  private cache = new Map<string, Entry>();
  private watch?: ObjectWatch;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private resyncTimer?: ReturnType<typeof setInterval>;
  private stopped = false;
  private synced = false;
  private current = false;
  /** Counts list+watch rounds: callbacks of an earlier round are ignored. */
  private round = 0;
  /** The handler sets: the options' own, then those added by addHandlers(). */
  private handlers: InformerHandlers[];

  constructor(
    private readonly store: ObjectStore,
    private readonly def: ResourceDef,
    private readonly opts: InformerOptions,
  ) {
    this.handlers = [opts];
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
   * delivered; rejects when it fails (later failures are retried).
   */
  async start(): Promise<void> {
    await this.listAndWatch();
    const every = this.opts.resyncMs ?? 0;
    if (every > 0 && !this.stopped) this.resyncTimer = setInterval(() => this.resync(), every);
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

  /** True while the cache follows storage: from a list until its watch is lost. */
  isCurrent(): boolean {
    return this.current;
  }

  /** A cached object (namespace undefined for cluster-scoped kinds). */
  get(cluster: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.cache.get(cacheKey(cluster, namespace, name))?.obj;
  }

  /** The cached objects, of one logical cluster or of all. */
  list(cluster?: string): KObject[] {
    const out: KObject[] = [];
    for (const e of this.cache.values()) if (cluster === undefined || e.cluster === cluster) out.push(e.obj);
    return out;
  }

  private clusterOf(obj: KObject, cluster?: string): string {
    return this.opts.cluster ?? cluster ?? obj.metadata.annotations?.[CLUSTER_ANNOTATION] ?? "";
  }

  private async listAndWatch(): Promise<void> {
    const { cluster, namespace, labelSelector, fieldSelector } = this.opts;
    const list = await this.listAll();
    if (this.stopped) return;
    const round = ++this.round;
    this.replace(list.entries);
    this.synced = true;
    this.current = true;
    this.watch = watchObjects(this.store, this.def, {
      cluster,
      namespace,
      labelSelector,
      fieldSelector,
      resourceVersion: list.resourceVersion,
      sendInitialEvents: false,
      accepts: this.opts.accepts,
      onEvent: (ev) => {
        if (round === this.round && !this.stopped) this.apply(ev);
      },
      onClose: (err) => {
        if (round !== this.round || this.stopped) return;
        this.current = false;
        this.watch = undefined;
        log.warn(`${this.opts.name}: watch ended (${err.message}); relisting`);
        this.relist(0);
      },
    });
  }

  /**
   * The collection as the cache will keep it: each object's cluster taken from it as served, then
   * the object transformed page by page (a large first list never holds every whole object at
   * once), and, with `accepts`, objects whose stored JSON is not accepted never decoded at all.
   */
  private async listAll(): Promise<{ entries: Entry[]; resourceVersion: string }> {
    const { cluster, namespace, labelSelector, fieldSelector, pageSize } = this.opts;
    const accepts = this.opts.accepts;
    const read = (token?: string) =>
      this.store.list(this.def, cluster, namespace, {
        labelSelector,
        fieldSelector,
        limit: pageSize,
        ...(token ? { continue: token } : {}),
        ...(accepts ? { accepts: (value: string) => accepts(value, undefined) } : {}),
      });
    const entries: Entry[] = [];
    const keepAll = (items: KObject[]) => {
      for (const served of items) entries.push({ cluster: this.clusterOf(served), obj: this.keep(served) });
    };
    const first = await read();
    keepAll(first.items);
    let token = pageSize ? first.continue : undefined;
    while (token && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const page = await read(token);
      keepAll(page.items);
      token = page.continue;
    }
    return { entries, resourceVersion: first.resourceVersion };
  }

  private relist(attempt: number): void {
    if (this.stopped) return;
    this.listAndWatch().catch((e) => {
      if (this.stopped) return;
      const delay = Math.min(100 * 2 ** attempt, MAX_BACKOFF_MS);
      log.warn(`${this.opts.name}: list failed (${(e as Error).message}); retrying in ${delay} ms`);
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
    for (const note of notes) this.notifyAll(note);
  }

  private apply(ev: ObjectEvent): void {
    if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") return;
    const cluster = this.clusterOf(ev.object, ev.cluster);
    const obj = this.keep(ev.object);
    const key = cacheKey(cluster, obj.metadata.namespace, obj.metadata.name);
    const old = this.cache.get(key);
    if (ev.type === "DELETED") {
      this.cache.delete(key);
      this.notifyAll((h) => h.onDelete?.(obj, cluster));
      return;
    }
    this.cache.set(key, { obj, cluster });
    if (old) this.notifyAll((h) => h.onUpdate?.(old.obj, obj, cluster));
    else this.notifyAll((h) => h.onAdd?.(obj, cluster));
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
