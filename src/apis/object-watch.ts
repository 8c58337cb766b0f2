// A watch on the object store that yields decoded objects: kube's watch cache semantics over the
// raw storage watch (storage/interface.ts), for REST watch (server/rest/watch.ts) and every
// in-process consumer (client/informer.ts). It opens the storage watch on the collection's prefix,
// decodes each event once per storage event and served definition (shared by every watcher of it),
// and applies the selectors per event: an object that stops matching arrives as DELETED, one that
// starts matching as ADDED. Initial events (a list, then ADDED for each item) come first when no
// resourceVersion is given ("" or "0", the legacy behaviour) or when sendInitialEvents is true.
// HTTP framing, periodic bookmarks and the stream writing stay with the caller.

import { apiVersionOf, CLUSTER_ANNOTATION, decodeObject } from "./object-codec.ts";
import { matchesSelectors, type ObjectStore, parseResourceVersion } from "./store.ts";
import type { KObject, ResourceDef } from "./types.ts";
import { CompactedError, type Watch, type WatchEvent } from "../storage/interface.ts";
import { clusterOfKey } from "../storage/keys.ts";
import type { FieldSelector } from "../machinery/selectors/field-selector.ts";
import type { LabelSelector } from "../machinery/selectors/label-selector.ts";
import { errors, StatusError } from "../machinery/status.ts";

export type ObjectEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface ObjectEvent {
  type: ObjectEventType;
  /**
   * ADDED, MODIFIED, DELETED: the object as served. Objects from the storage watch are shared by
   * every watcher of the same event: never mutate them. BOOKMARK: a bare object of the kind with
   * metadata.resourceVersion. ERROR: a Status.
   */
  object: KObject;
  /** ADDED, MODIFIED, DELETED: the object's logical cluster. */
  cluster?: string;
  /**
   * With `json: true`, for events from the storage watch: the object's JSON text, made once per
   * storage event and definition and shared by every watcher (the REST fast path).
   */
  json?: string;
  /** ERROR: the error the Status reports (the caller may map storage errors its own way). */
  error?: Error;
}

export interface WatchObjectsOptions {
  /** One logical cluster; undefined watches all of them (objects then carry the cluster annotation). */
  cluster?: string;
  /**
   * For in-process consumers that follow only some objects: a stored write (not a delete) is
   * dropped before it is decoded unless this accepts its stored JSON, new or previous (the
   * garbage collector skips objects that never had owner references nor a deletion timestamp).
   */
  accepts?(value: string, prevValue: string | undefined): boolean;
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Start after this revision; "" or "0" (or absent): from now, with initial events unless sendInitialEvents is false. */
  resourceVersion?: string;
  /**
   * true: initial events, then a BOOKMARK annotated `k8s.io/initial-events-end`; false: none;
   * undefined: initial events only for an absent or zero resourceVersion (legacy).
   */
  sendInitialEvents?: boolean;
  /** Fill `json` on the events from the storage watch. */
  json?: boolean;
  /** Each event, in order. */
  onEvent(ev: ObjectEvent): void;
  /** Once the initial events (if any) are delivered, right before the storage watch opens. */
  onStart?(): void;
  /**
   * Once, when the watch ends by itself (not after stop()): after the ERROR event when there is one
   * (too old resourceVersion, an object that cannot be decoded, a failed initial list); without one
   * when the storage watch is lost (overflow, storage closing).
   */
  onClose?(err: Error): void;
}

export interface ObjectWatch {
  stop(): void;
  /** The revision up to which every event has been delivered (for bookmarks). */
  readonly revision: number;
}

type Decoded = { obj: KObject; cluster: string | undefined; json?: string; prev?: KObject | null };

/**
 * Objects (and their JSON), decoded once per storage event and served definition, and shared by
 * every watcher of it. Per definition because several versions (or groups) can share one key
 * space and each serves the object its own way (apiVersion, read-time defaulting).
 */
const decodedCache = new WeakMap<WatchEvent, WeakMap<ResourceDef, Decoded>>();
const decodedWildcardCache = new WeakMap<WatchEvent, WeakMap<ResourceDef, Decoded>>();

function decodeEvent(store: ObjectStore, def: ResourceDef, ev: WatchEvent, cluster: string | undefined): Decoded {
  const wildcard = cluster === undefined;
  const cache = wildcard ? decodedWildcardCache : decodedCache;
  let perDef = cache.get(ev);
  if (!perDef) {
    perDef = new WeakMap();
    cache.set(ev, perDef);
  }
  let d = perDef.get(def);
  if (!d) {
    const annotate = wildcard ? clusterOfKey(store.resourcePrefix(def), ev.key) : undefined;
    d = { obj: decodeObject(def, ev.value, ev.revision, annotate), cluster: annotate ?? cluster };
    perDef.set(def, d);
  }
  return d;
}

/** The object before a PUT that replaced a value (shared like the event's object). */
function prevObject(def: ResourceDef, ev: WatchEvent, d: Decoded, wildcard: boolean): KObject {
  if (d.prev) return d.prev;
  d.prev = decodeObject(def, ev.prevValue as string, ev.prevRevision, wildcard ? d.cluster : undefined);
  return d.prev;
}

/** The object of a BOOKMARK event at `revision`. */
export function bookmarkObject(def: ResourceDef, revision: number, initialEventsEnd = false): KObject {
  const meta: Record<string, unknown> = { resourceVersion: String(revision) };
  if (initialEventsEnd) meta.annotations = { "k8s.io/initial-events-end": "true" };
  return { kind: def.kind, apiVersion: apiVersionOf(def), metadata: meta };
}

function errorEvent(err: Error, status: StatusError): ObjectEvent {
  return { type: "ERROR", object: status.toStatus() as unknown as KObject, error: err };
}

/**
 * Watch a collection of `def` as decoded events. Throws at once (400) for a malformed
 * resourceVersion; every later failure is an ERROR event and/or onClose.
 */
export function watchObjects(store: ObjectStore, def: ResourceDef, opts: WatchObjectsOptions): ObjectWatch {
  const rv = opts.resourceVersion ?? "";
  const startRV = rv === "" || rv === "0" ? 0 : parseResourceVersion(rv);
  const initial = opts.sendInitialEvents === true || (opts.sendInitialEvents === undefined && startRV === 0);
  const cluster = opts.cluster;
  const wildcard = cluster === undefined;
  const { labelSelector, fieldSelector } = opts;
  const filtering = (labelSelector && !labelSelector.empty) || (fieldSelector && fieldSelector.requirements.length > 0);
  const prefix = store.collection(def, cluster, opts.namespace);
  let stopped = false;
  let storageWatch: Watch | undefined;
  const handle = {
    revision: startRV,
    stop() {
      if (stopped) return;
      stopped = true;
      storageWatch?.stop();
    },
  };
  const end = (err: Error, status?: StatusError) => {
    if (stopped) return;
    handle.stop();
    if (status) opts.onEvent(errorEvent(err, status));
    opts.onClose?.(err);
  };

  const onStorageEvent = (ev: WatchEvent) => {
    if (stopped) return;
    handle.revision = ev.revision;
    if (opts.accepts && ev.type !== "DELETE" && !opts.accepts(ev.value, ev.prevValue)) return;
    let d: Decoded;
    try {
      d = decodeEvent(store, def, ev, cluster);
    } catch (e) {
      // An object this definition cannot serve (a CRD version without conversion) ends this watch only.
      end(e as Error, e instanceof StatusError ? e : errors.internal((e as Error).message));
      return;
    }
    let type: ObjectEventType;
    if (ev.type === "DELETE") {
      if (filtering && !matchesSelectors(def, d.obj, labelSelector, fieldSelector)) return;
      type = "DELETED";
    } else {
      const created = ev.prevRevision === 0 || ev.prevValue === undefined;
      if (!filtering) type = created ? "ADDED" : "MODIFIED";
      else {
        const now = matchesSelectors(def, d.obj, labelSelector, fieldSelector);
        const before =
          !created && matchesSelectors(def, prevObject(def, ev, d, wildcard), labelSelector, fieldSelector);
        if (now && before) type = "MODIFIED";
        else if (now) type = "ADDED";
        else if (before) type = "DELETED";
        else return;
      }
    }
    if (opts.json && d.json === undefined) d.json = JSON.stringify(d.obj);
    opts.onEvent({ type, object: d.obj, cluster: d.cluster, json: opts.json ? d.json : undefined });
  };

  const run = async () => {
    let after = startRV;
    try {
      if (initial) {
        const list = await store.list(def, cluster, opts.namespace, { labelSelector, fieldSelector });
        for (const obj of list.items) {
          if (stopped) return;
          opts.onEvent({
            type: "ADDED",
            object: obj,
            cluster: cluster ?? obj.metadata.annotations?.[CLUSTER_ANNOTATION],
          });
        }
        after = Number(list.resourceVersion);
        if (stopped) return;
        handle.revision = after;
        if (opts.sendInitialEvents === true)
          opts.onEvent({ type: "BOOKMARK", object: bookmarkObject(def, after, true) });
      }
      if (stopped) return;
      opts.onStart?.();
      if (stopped) return;
      const from = after;
      storageWatch = store.storage.watch({
        prefix,
        afterRevision: from,
        onEvent: onStorageEvent,
        onError: (err) =>
          end(
            err,
            err instanceof CompactedError
              ? errors.gone(`too old resource version: ${from} (${err.compacted})`)
              : undefined,
          ),
        onProgress: (revision) => {
          if (revision > handle.revision) handle.revision = revision;
        },
      });
      if (stopped) storageWatch.stop();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (e instanceof StatusError) end(err, e);
      else if (e instanceof CompactedError)
        end(err, errors.gone(`too old resource version: ${startRV} (${e.compacted})`));
      else end(err, errors.internal(err.message));
    }
  };
  void run();
  return handle;
}
