// WATCH: a chunked 200 of newline-delimited `{"type","object"}` events, as the API Concepts page
// describes: initial ADDED events when no resourceVersion is given (or sendInitialEvents=true), then
// every change after the starting revision, in order, exactly once; 410 Expired as an ERROR event;
// bookmarks; per-event selector filtering (an object that stops matching arrives as DELETED).
// The events themselves come decoded from the object store's watch (apis/object-watch.ts); this
// file frames them, sends bookmarks on a timer and writes the stream.

import type { ObjectStore } from "../../apis/store.ts";
import { parseResourceVersion } from "../../apis/store.ts";
import { bookmarkObject, type ObjectEvent, type ObjectWatch, watchObjects } from "../../apis/object-watch.ts";
import type { KObject, ResourceDef } from "../../apis/types.ts";
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

/** An ERROR event's line: storage failures get the Status every other request would answer with. */
function errorLine(ev: ObjectEvent): string {
  const mapped = ev.error && !(ev.error instanceof StatusError) ? storageStatusError(ev.error) : null;
  return `{"type":"ERROR","object":${JSON.stringify(mapped ? mapped.toStatus() : ev.object)}}\n`;
}

export function handleWatch(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  query: URLSearchParams,
  req: Request,
  settings: WatchSettings = DEFAULT_WATCH_SETTINGS,
  /** Called once when the watch ends (its place under the per-user cap is free again). */
  onClose: () => void = () => {},
): Response {
  // Table and metadata-only watches re-encode each event's object; plain ones share the cached JSON.
  const asTarget = watchObjectEncoder(def, negotiateOutput(def, req.headers.get("accept")), query);
  const encodeObject = (obj: KObject, json?: string) => (asTarget ? asTarget(obj) : (json ?? JSON.stringify(obj)));
  const opts = parseListOptions(def, query);
  if (info.name !== undefined) {
    // A watch on one object (legacy /watch/<name> path) is a watch on metadata.name.
    const byName = {
      requirements: [{ field: "metadata.name", op: "=" as const, value: info.name }],
      matches: (get: (f: string) => string | undefined) => get("metadata.name") === info.name,
    };
    const fs = opts.fieldSelector;
    opts.fieldSelector = fs
      ? ({
          requirements: [...fs.requirements, ...byName.requirements],
          matches: (g: (f: string) => string | undefined) => fs.matches(g) && byName.matches(g),
        } as never)
      : (byName as never);
  }
  const sendInitial = query.has("sendInitialEvents") ? queryBool(query.get("sendInitialEvents")) : undefined;
  const allowBookmarks = queryBool(query.get("allowWatchBookmarks"));
  const rv = opts.resourceVersion ?? "";
  const match = opts.resourceVersionMatch ?? "";
  if (sendInitial !== undefined) {
    if (match !== "NotOlderThan") {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [
        field.forbidden(
          "resourceVersionMatch",
          "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
      ]);
    }
    if (sendInitial && !allowBookmarks) {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [
        field.forbidden("allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true"),
      ]);
    }
  } else if (match !== "") {
    throw errors.invalid("ListOptions", "meta.k8s.io", "", [
      field.forbidden(
        "resourceVersionMatch",
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
      ),
    ]);
  }
  // A malformed resourceVersion is a 400 answer, not an ERROR event.
  const startRV = rv === "" || rv === "0" ? 0 : parseResourceVersion(rv);
  const timeoutParam = query.get("timeoutSeconds");
  let timeoutMs = (1800 + Math.floor(Math.random() * 1800)) * 1000;
  if (timeoutParam !== null) {
    if (!/^[0-9]+$/.test(timeoutParam))
      throw errors.badRequest(`timeoutSeconds: Invalid value: "${timeoutParam}": must be a non-negative integer`);
    const t = Number(timeoutParam);
    if (t > 0) timeoutMs = t * 1000;
  }
  const cluster = info.wildcard ? undefined : info.cluster;

  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (controller) => {
        let closed = false;
        let watch: ObjectWatch | undefined;
        let bookmarkTimer: ReturnType<typeof setInterval> | undefined;
        const timeout = setTimeout(() => close(), timeoutMs);
        const close = () => {
          if (closed) return;
          closed = true;
          onClose();
          settings.active?.delete(close);
          clearTimeout(timeout);
          if (bookmarkTimer) clearInterval(bookmarkTimer);
          watch?.stop();
          try {
            controller.close();
          } catch {}
        };
        cleanup = close;
        settings.active?.add(close);
        req.signal.addEventListener("abort", close, { once: true });
        const encoder = new TextEncoder();
        let wrote = false;
        const write = (line: string) => {
          if (closed) return;
          wrote = true;
          controller.enqueue(encoder.encode(line));
          // A watcher that cannot keep up is closed rather than holding memory for everyone.
          if ((controller.desiredSize ?? 0) < -settings.maxPendingBytes) close();
        };
        const bookmark = (object: KObject) => write(`{"type":"BOOKMARK","object":${encodeObject(object)}}\n`);
        watch = watchObjects(store, def, {
          cluster,
          namespace: info.namespace,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          resourceVersion: rv,
          sendInitialEvents: sendInitial,
          // Table and metadata-only watches encode each object their own way.
          json: !asTarget,
          onEvent: (ev) => {
            if (ev.type === "ERROR") write(errorLine(ev));
            else if (ev.type === "BOOKMARK") bookmark(ev.object);
            else write(`{"type":"${ev.type}","object":${encodeObject(ev.object, ev.json)}}\n`);
          },
          onStart: () => {
            // Bun sends the status line and headers only with the first body bytes, and clients wait
            // for headers before they start reading: a newline (every watch decoder skips blank lines) sends them now.
            if (!wrote) write("\n");
            if (allowBookmarks && !closed) {
              bookmarkTimer = setInterval(
                () => bookmark(bookmarkObject(def, watch?.revision ?? startRV)),
                settings.bookmarkIntervalMs,
              );
            }
          },
          onClose: () => close(),
        });
        if (closed) watch.stop();
      },
      cancel: () => cleanup(),
    },
    { highWaterMark: 0, size: (chunk?: Uint8Array) => chunk?.byteLength ?? 0 },
  );
  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
      "Transfer-Encoding": "chunked",
    },
  });
}
