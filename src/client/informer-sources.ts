// What an Informer lists and watches. Two sources: the object store itself (in-process, for the
// server's own controllers and admission views) and a ResourceClient over HTTP (any server,
// including this one through the loopback client). Both hand the informer pages of objects and
// then change events, and tell it when the watch is lost for good (it then relists and diffs).

import { CLUSTER_ANNOTATION } from "../apis/object-codec.ts";
import { watchObjects } from "../apis/object-watch.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, ResourceDef } from "../apis/types.ts";
import { log } from "../log.ts";
import type { FieldSelector } from "../machinery/selectors/field-selector.ts";
import type { LabelSelector } from "../machinery/selectors/label-selector.ts";
import { isStatusError, type StatusError } from "../machinery/status.ts";
import { clusterOfServer } from "./client-config.ts";
import { collectionPath, type ResourceClient } from "./dynamic-client.ts";
import { statusErrorOfEvent } from "./rest-client.ts";

export interface SourceEvent {
  type: string;
  object: KObject;
  /** The object's logical cluster when the source knows it apart from the object. */
  cluster?: string;
}

export interface SourceWatchHandlers {
  /** ADDED, MODIFIED, DELETED and BOOKMARK events (a bookmark's object carries only its resourceVersion). */
  onEvent(ev: SourceEvent): void;
  onClose(err: Error): void;
}

export interface SourceWatch {
  stop(): void;
}

export interface InformerSource {
  /** The one logical cluster every object belongs to, when there is one (get()'s default). */
  readonly cluster?: string;
  /** An object's logical cluster: the source's own, else the one given, else the object's annotation, else "". */
  clusterOf(obj: KObject, cluster?: string): string;
  /** The whole collection, page by page through `onPage`; resolves the resourceVersion to watch from. */
  list(
    onPage: (items: KObject[], cluster?: string) => void,
    stopped: () => boolean,
  ): Promise<{ resourceVersion: string }>;
  /** Changes after `resourceVersion`; onClose once when the watch is lost and a relist is needed. */
  watch(resourceVersion: string, handlers: SourceWatchHandlers): SourceWatch;
}

function annotatedCluster(fixed: string | undefined, obj: KObject, cluster?: string): string {
  return fixed ?? cluster ?? obj.metadata.annotations?.[CLUSTER_ANNOTATION] ?? "";
}

export interface StoreSourceOptions {
  cluster?: string;
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  accepts?(value: string, prevValue: string | undefined): boolean;
  pageSize?: number;
}

/**
 * The object store: ObjectStore.list and the decoded watch of apis/object-watch.ts, all logical
 * clusters by default (each object's cluster from the watch, or the annotation the wildcard view
 * sets). With `accepts`, objects whose stored JSON is not accepted are never decoded.
 */
export function storeSource(store: ObjectStore, def: ResourceDef, opts: StoreSourceOptions): InformerSource {
  const { cluster, namespace, labelSelector, fieldSelector, pageSize, accepts } = opts;
  return {
    cluster,
    clusterOf: (obj, c) => annotatedCluster(cluster, obj, c),
    async list(onPage, stopped) {
      const read = (token?: string) =>
        store.list(def, cluster, namespace, {
          labelSelector,
          fieldSelector,
          limit: pageSize,
          ...(token ? { continue: token } : {}),
          ...(accepts ? { accepts: (value: string) => accepts(value, undefined) } : {}),
        });
      const first = await read();
      onPage(first.items);
      let token = pageSize ? first.continue : undefined;
      while (token && !stopped()) {
        // Give the event loop back between pages: a large first list does not stall the server.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const page = await read(token);
        onPage(page.items);
        token = page.continue;
      }
      return { resourceVersion: first.resourceVersion };
    },
    watch(resourceVersion, handlers) {
      return watchObjects(store, def, {
        cluster,
        namespace,
        labelSelector,
        fieldSelector,
        resourceVersion,
        sendInitialEvents: false,
        accepts,
        onEvent: (ev) => handlers.onEvent({ type: ev.type, object: ev.object, cluster: ev.cluster }),
        onClose: (err) => handlers.onClose(err),
      });
    },
  };
}

export interface RemoteSourceOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per list page (default 500; 0: one list). */
  pageSize?: number;
  /**
   * Each watch request asks the server to end it after this long (randomised up to twice, as
   * client-go does, so many informers do not re-watch at once); the informer then watches again
   * from its last resourceVersion. Default 300.
   */
  watchTimeoutSeconds?: number;
  /** A list of more objects than this fails (default 1,000,000): the server may be anyone's. */
  maxItems?: number;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_MAX_ITEMS = 1_000_000;
/** Pages of one list at most (an empty page with a new continue token every time would go on forever). */
const MAX_LIST_PAGES = 10_000;
const MAX_WATCH_BACKOFF_MS = 5000;
/** Consecutive failed watch attempts (about half a minute of backoff) before the informer relists instead. */
const MAX_WATCH_FAILURES = 10;

/**
 * A ResourceClient: paged lists (a continue token that expired restarts the list), then watches
 * with allowWatchBookmarks from the list's resourceVersion. Bookmarks and events move the
 * resourceVersion on; a watch the server ends cleanly, or a broken connection (retried with
 * backoff), is resumed from it; a 410 (an ERROR event or the watch request refused), any other
 * ERROR event or refusal ends the watch and the informer relists (with its backoff).
 */
export function remoteSource(client: ResourceClient, opts: RemoteSourceOptions = {}): InformerSource {
  const serverCluster = clusterOfServer(client.rest.config.server);
  // A wildcard (/clusters/*) view says each object's cluster in its annotation.
  const fixed = serverCluster === "*" ? undefined : serverCluster;
  const base = { namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const what = `${client.ref.group ? `${client.ref.resource}.${client.ref.group}` : client.ref.resource} at ${client.rest.config.server}`;
  return {
    cluster: fixed,
    clusterOf: (obj, c) => annotatedCluster(fixed, obj, c),
    async list(onPage, stopped) {
      for (;;) {
        let token: string | undefined;
        let resourceVersion: string | undefined;
        const pages: KObject[][] = [];
        const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
        let items = 0;
        try {
          do {
            const page = await client.list({ ...base, limit: pageSize || undefined, continue: token });
            resourceVersion ??= page.metadata.resourceVersion;
            pages.push(page.items ?? []);
            items += page.items?.length ?? 0;
            const previous = token;
            token = page.metadata.continue || undefined;
            if (token && token === previous) throw new Error(`list of ${what}: the server repeats a continue token`);
            if (items > maxItems) throw new Error(`list of ${what}: more than ${maxItems} objects`);
            if (pages.length >= MAX_LIST_PAGES && token) {
              throw new Error(`list of ${what}: more than ${MAX_LIST_PAGES} pages`);
            }
          } while (token && !stopped());
        } catch (e) {
          // The snapshot of a continue token was compacted away: start the list again.
          if (token && isStatusError(e) && e.code === 410) continue;
          throw e;
        }
        for (const items of pages) onPage(items);
        return { resourceVersion: resourceVersion ?? "" };
      }
    },
    watch(resourceVersion, handlers) {
      const abort = new AbortController();
      let rv = resourceVersion;
      const timeout = opts.watchTimeoutSeconds ?? 300;
      const run = async () => {
        let quickEnds = 0;
        let failures = 0;
        while (!abort.signal.aborted) {
          const startedAt = Date.now();
          const query = {
            labelSelector: opts.labelSelector || undefined,
            fieldSelector: opts.fieldSelector || undefined,
            resourceVersion: rv,
            allowWatchBookmarks: "true",
            timeoutSeconds: String(Math.round(timeout * (1 + Math.random()))),
          };
          try {
            for await (const ev of client.rest.watch(collectionPath(client.ref, opts.namespace), query, abort.signal)) {
              failures = 0;
              if (ev.type === "ERROR") throw statusErrorOfEvent(ev);
              const next = ev.object?.metadata?.resourceVersion;
              if (next) rv = next;
              handlers.onEvent({ type: ev.type, object: ev.object });
            }
          } catch (e) {
            // The server unreachable or the connection broken (a restart): as client-go does, watch
            // again from the same resourceVersion with backoff rather than relist. A Status (410
            // Expired, a refusal) or failures that go on relist.
            if (isStatusError(e) || abort.signal.aborted || ++failures > MAX_WATCH_FAILURES) throw e;
            const delay = Math.min(100 * 2 ** failures, MAX_WATCH_BACKOFF_MS);
            log.debug(`watch of ${what} failed (${(e as Error).message}); again in ${delay} ms`);
            await sleep(delay, abort.signal);
            continue;
          }
          if (abort.signal.aborted) return;
          // A server that ends watches at once over and over is not well: back off before asking again.
          quickEnds = Date.now() - startedAt < 1000 ? quickEnds + 1 : 0;
          if (quickEnds > 0) await sleep(Math.min(100 * 2 ** quickEnds, MAX_WATCH_BACKOFF_MS), abort.signal);
          log.debug(`watch of ${what} ended; watching again from ${rv}`);
        }
      };
      run().catch((e: Error | StatusError) => {
        if (abort.signal.aborted) return;
        handlers.onClose(e instanceof Error ? e : new Error(String(e)));
      });
      return { stop: () => abort.abort() };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", done);
      clearTimeout(timer);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
