// WATCH: a chunked 200 of newline-delimited `{"type","object"}` events, as the API Concepts page
// describes: initial ADDED events when no resourceVersion is given (or sendInitialEvents=true), then
// every change after the starting revision, in order, exactly once; 410 Expired as an ERROR event;
// bookmarks; per-event selector filtering (an object that stops matching arrives as DELETED).

import type { ObjectStore } from "../../apis/store.ts";
import { matchesSelectors, parseResourceVersion } from "../../apis/store.ts";
import { apiVersionOf, decodeObject } from "../../apis/object-codec.ts";
import { clusterOfKey } from "../../storage/keys.ts";
import type { KObject, ResourceDef } from "../../apis/types.ts";
import { CompactedError, type WatchEvent } from "../../storage/interface.ts";
import { queryBool } from "../../machinery/parse-bool.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { errors, field, StatusError } from "../../machinery/status.ts";
import { storageStatusError } from "../storage-errors.ts";
import { negotiateOutput, watchObjectEncoder } from "../table/table-output.ts";
import { parseListOptions } from "./list-query.ts";

export interface WatchSettings {
  /** How often to send a BOOKMARK to watchers that allow them. */
  bookmarkIntervalMs: number;
  /** A watcher whose unsent output exceeds this many bytes is closed (it re-watches from its last revision). */
  maxPendingBytes: number;
  /** Open watches register their close function here, so shutdown can end them all. */
  active?: Set<() => void>;
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = { bookmarkIntervalMs: 60_000, maxPendingBytes: 16 * 1024 * 1024 };

type Decoded = { obj: KObject; json: string; prev?: KObject | null };

/**
 * Objects and their JSON, decoded once per storage event and served definition, and shared by
 * every watcher of it. Per definition because several versions (or groups) can share one key
 * space and each serves the object its own way (apiVersion, read-time defaulting).
 */
const decodedCache = new WeakMap<WatchEvent, WeakMap<ResourceDef, Decoded>>();
const decodedWildcardCache = new WeakMap<WatchEvent, WeakMap<ResourceDef, Decoded>>();

function decodeEvent(store: ObjectStore, def: ResourceDef, ev: WatchEvent, wildcard: boolean): Decoded {
  const cache = wildcard ? decodedWildcardCache : decodedCache;
  let perDef = cache.get(ev);
  if (!perDef) {
    perDef = new WeakMap();
    cache.set(ev, perDef);
  }
  let d = perDef.get(def);
  if (!d) {
    const cluster = wildcard ? clusterOfKey(store.resourcePrefix(def), ev.key) : undefined;
    const obj = decodeObject(def, ev.value, ev.revision, cluster);
    d = { obj, json: JSON.stringify(obj) };
    perDef.set(def, d);
  }
  return d;
}

function prevObject(store: ObjectStore, def: ResourceDef, ev: WatchEvent, wildcard: boolean, d: { prev?: KObject | null }): KObject | null {
  if (d.prev !== undefined) return d.prev;
  if (ev.type === "DELETE" || ev.prevValue === undefined) d.prev = ev.type === "DELETE" ? decodeObject(def, ev.value, ev.prevRevision) : null;
  else d.prev = decodeObject(def, ev.prevValue, ev.prevRevision, wildcard ? clusterOfKey(store.resourcePrefix(def), ev.key) : undefined);
  return d.prev;
}

function statusLine(err: StatusError): string {
  return `{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`;
}

export function handleWatch(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  query: URLSearchParams,
  req: Request,
  settings: WatchSettings = DEFAULT_WATCH_SETTINGS,
): Response {
  // Table and metadata-only watches re-encode each event's object; plain ones share the cached JSON.
  const asTarget = watchObjectEncoder(def, negotiateOutput(def, req.headers.get("accept")), query);
  const encodeObject = (obj: KObject, json?: string) => (asTarget ? asTarget(obj) : (json ?? JSON.stringify(obj)));
  const opts = parseListOptions(def, query);
  if (info.name !== undefined) {
    // A watch on one object (legacy /watch/<name> path) is a watch on metadata.name.
    const byName = { requirements: [{ field: "metadata.name", op: "=" as const, value: info.name }], matches: (get: (f: string) => string | undefined) => get("metadata.name") === info.name };
    const fs = opts.fieldSelector;
    opts.fieldSelector = fs
      ? { requirements: [...fs.requirements, ...byName.requirements], matches: (g: (f: string) => string | undefined) => fs.matches(g) && byName.matches(g) } as never
      : (byName as never);
  }
  const sendInitial = query.has("sendInitialEvents") ? queryBool(query.get("sendInitialEvents")) : undefined;
  const allowBookmarks = queryBool(query.get("allowWatchBookmarks"));
  const rv = opts.resourceVersion ?? "";
  const match = opts.resourceVersionMatch ?? "";
  if (sendInitial !== undefined) {
    if (match !== "NotOlderThan") {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [field.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")]);
    }
    if (sendInitial && !allowBookmarks) {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [field.forbidden("allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true")]);
    }
  } else if (match !== "") {
    throw errors.invalid("ListOptions", "meta.k8s.io", "", [field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")]);
  }
  const startRV = rv === "" || rv === "0" ? 0 : parseResourceVersion(rv);
  // Initial events: for no/zero resourceVersion (legacy), or when asked for explicitly.
  const initial = sendInitial === true || (sendInitial === undefined && startRV === 0);
  const timeoutParam = query.get("timeoutSeconds");
  let timeoutMs = (1800 + Math.floor(Math.random() * 1800)) * 1000;
  if (timeoutParam !== null) {
    if (!/^[0-9]+$/.test(timeoutParam)) throw errors.badRequest(`timeoutSeconds: Invalid value: "${timeoutParam}": must be a non-negative integer`);
    const t = Number(timeoutParam);
    if (t > 0) timeoutMs = t * 1000;
  }
  const wildcard = info.wildcard;
  const prefix = store.collection(def, wildcard ? undefined : info.cluster, info.namespace);
  const encoder = new TextEncoder();
  const filtering = (opts.labelSelector && !opts.labelSelector.empty) || (opts.fieldSelector && opts.fieldSelector.requirements.length > 0);

  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>(
    {
      start: async (controller) => {
        let closed = false;
        let lastRevision = startRV;
        let stopWatch: (() => void) | undefined;
        let bookmarkTimer: ReturnType<typeof setInterval> | undefined;
        const timeout = setTimeout(() => close(), timeoutMs);
        const close = () => {
          if (closed) return;
          closed = true;
          settings.active?.delete(close);
          clearTimeout(timeout);
          if (bookmarkTimer) clearInterval(bookmarkTimer);
          stopWatch?.();
          try {
            controller.close();
          } catch {}
        };
        cleanup = close;
        settings.active?.add(close);
        req.signal.addEventListener("abort", close, { once: true });
        let wrote = false;
        const write = (line: string) => {
          if (closed) return;
          wrote = true;
          controller.enqueue(encoder.encode(line));
          // A watcher that cannot keep up is closed rather than holding memory for everyone.
          if ((controller.desiredSize ?? 0) < -settings.maxPendingBytes) close();
        };
        const bookmark = (revision: number, initialEnd = false) => {
          const meta: Record<string, unknown> = { resourceVersion: String(revision) };
          if (initialEnd) meta.annotations = { "k8s.io/initial-events-end": "true" };
          write(`{"type":"BOOKMARK","object":${encodeObject({ kind: def.kind, apiVersion: apiVersionOf(def), metadata: meta })}}\n`);
        };
        try {
          let after = startRV;
          if (initial) {
            const list = await store.list(def, wildcard ? undefined : info.cluster, info.namespace, {
              labelSelector: opts.labelSelector,
              fieldSelector: opts.fieldSelector,
            });
            for (const obj of list.items) write(`{"type":"ADDED","object":${encodeObject(obj)}}\n`);
            after = Number(list.resourceVersion);
            lastRevision = after;
            if (sendInitial === true) bookmark(after, true);
          }
          if (closed) return;
          const onEvent = (ev: WatchEvent) => {
            if (closed) return;
            lastRevision = ev.revision;
            let d: Decoded;
            try {
              d = decodeEvent(store, def, ev, wildcard);
            } catch (e) {
              // An object this definition cannot serve (a CRD version without conversion) ends this watch only.
              write(statusLine(e instanceof StatusError ? e : errors.internal((e as Error).message)));
              close();
              return;
            }
            let type: string;
            if (ev.type === "DELETE") {
              if (filtering && !matchesSelectors(def, d.obj, opts.labelSelector, opts.fieldSelector)) return;
              type = "DELETED";
            } else {
              const created = ev.prevRevision === 0 || ev.prevValue === undefined;
              if (!filtering) type = created ? "ADDED" : "MODIFIED";
              else {
                const now = matchesSelectors(def, d.obj, opts.labelSelector, opts.fieldSelector);
                const prev = created ? null : prevObject(store, def, ev, wildcard, d);
                const before = prev !== null && matchesSelectors(def, prev, opts.labelSelector, opts.fieldSelector);
                if (now && before) type = "MODIFIED";
                else if (now) type = "ADDED";
                else if (before) type = "DELETED";
                else return;
              }
            }
            write(`{"type":"${type}","object":${encodeObject(d.obj, d.json)}}\n`);
          };
          // Bun sends the status line and headers only with the first body bytes, and clients wait
          // for headers before they start reading: a newline (every watch decoder skips blank lines) sends them now.
          if (!wrote) write("\n");
          const w = store.storage.watch({
            prefix,
            afterRevision: after,
            onEvent,
            onError: (err) => {
              if (err instanceof CompactedError) write(statusLine(errors.gone(`too old resource version: ${after} (${err.compacted})`)));
              close();
            },
            onProgress: (revision) => {
              if (revision > lastRevision) lastRevision = revision;
            },
          });
          stopWatch = () => w.stop();
          if (closed) w.stop();
          if (allowBookmarks) bookmarkTimer = setInterval(() => bookmark(lastRevision), settings.bookmarkIntervalMs);
        } catch (e) {
          if (e instanceof StatusError) write(statusLine(e));
          else if (e instanceof CompactedError) write(statusLine(errors.gone(`too old resource version: ${startRV} (${e.compacted})`)));
          else write(statusLine(storageStatusError(e) ?? errors.internal((e as Error).message)));
          close();
        }
      },
      cancel: () => cleanup(),
    },
    { highWaterMark: 0, size: (chunk?: Uint8Array) => chunk?.byteLength ?? 0 },
  );
  return new Response(stream, {
    status: 200,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" },
  });
}
