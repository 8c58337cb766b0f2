// GET of one object and LIST of a collection.

import { type ListOptions, matchesSelectors, type ObjectStore } from "../../apis/store.ts";
import type { KObject, ResourceDef } from "../../apis/types.ts";
import { errors } from "../../machinery/status.ts";
import { apiVersionOf } from "../../apis/object-codec.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { negotiateOutput, transformList, transformObject } from "../table/table-output.ts";
import { parseListOptions } from "./list-query.ts";
import { jsonResponse } from "./respond.ts";
import { jsonListResponse } from "./list-response.ts";
import { yieldToEventLoop } from "../../apis/offload/offload.ts";
import { log } from "../../log.ts";

export async function handleGet(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
): Promise<Response> {
  // A Table or metadata-only answer, when the Accept header asks for one (406 before any read when impossible).
  const target = negotiateOutput(def, req.headers.get("accept"));
  const obj = await getOrBuiltin(store, def, info);
  // A subresource served as another kind (a custom resource's Scale) shows its own view.
  const sub = info.subresource === undefined ? undefined : def.subresources.find((s) => s.name === info.subresource);
  if (sub?.view) return jsonResponse(sub.view(obj));
  return jsonResponse(transformObject(def, obj, target, query));
}

export async function handleList(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
): Promise<Response> {
  const target = negotiateOutput(def, req.headers.get("accept"));
  const opts = parseListOptions(def, query);
  // The objects themselves, all of them: written as they are read, never held whole.
  // (Not kinds with built-in objects: those are merged into a list of the stored ones, few by nature.)
  if (target.kind === "object" && !(opts.limit && opts.limit > 0) && !def.builtinObjects)
    return streamList(store, def, info, opts);
  const res = await store.list(def, info.wildcard ? undefined : info.cluster, info.namespace, opts);
  if (def.builtinObjects && !info.wildcard && !res.continue) await addBuiltins(store, def, info, opts, res.items);
  const metadata: Record<string, unknown> = { resourceVersion: res.resourceVersion };
  if (res.continue) metadata.continue = res.continue;
  if (res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
  const list = transformList(
    def,
    { kind: def.listKind, apiVersion: apiVersionOf(def), metadata, items: res.items },
    target,
    query,
  ) as Record<string, unknown>;
  // Written in chunks when large (a page of 1,000 objects of 10 KiB is 10 MiB of JSON).
  return jsonListResponse(list, target.kind === "Table" ? "rows" : "items");
}

/** The stored object, else the built-in object of that name (ResourceDef.builtinObjects), else 404. */
async function getOrBuiltin(store: ObjectStore, def: ResourceDef, info: ResourceRequestInfo): Promise<KObject> {
  const name = info.name as string;
  if (!def.builtinObjects || info.wildcard) return store.get(def, info.cluster, info.namespace, name);
  const stored = await store.tryGet(def, info.cluster, info.namespace, name);
  if (stored) return stored;
  const builtin = def.builtinObjects().find((o) => o.metadata.name === name);
  if (!builtin) throw errors.notFound({ group: def.group, resource: def.plural }, name);
  return structuredClone(builtin) as KObject;
}

/**
 * Adds to the last page of a list the built-in objects the cluster does not store under their
 * name (a paged list looks those up, its other pages being gone), matching the selectors.
 */
async function addBuiltins(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  opts: ListOptions,
  items: KObject[],
): Promise<void> {
  const listed = new Set(items.map((o) => o.metadata.name));
  const paged = Boolean(opts.continue) || Boolean(opts.limit && opts.limit > 0);
  for (const b of def.builtinObjects?.() ?? []) {
    const name = b.metadata.name ?? "";
    if (listed.has(name) || !matchesSelectors(def, b, opts.labelSelector, opts.fieldSelector)) continue;
    if (paged && (await store.tryGet(def, info.cluster, info.namespace, name))) continue;
    items.push(structuredClone(b) as KObject);
  }
  items.sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
}

/**
 * A list without a limit in plain JSON: `{"kind","apiVersion","metadata":{"resourceVersion"},"items":[`,
 * then each page of items as the store reads it (all at one revision), then `]}`. One page needs
 * no stream; more go out through a pull stream, so a slow reader holds back the reads.
 */
async function streamList(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  opts: ListOptions,
): Promise<Response> {
  const list = await store.openListStream(def, info.wildcard ? undefined : info.cluster, info.namespace, opts);
  const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":{"resourceVersion":${JSON.stringify(list.resourceVersion)}},"items":[`;
  const headers = { "Content-Type": "application/json" };
  if (list.complete) return new Response(`${head}${(await list.next()) ?? ""}]}`, { headers });
  const encoder = new TextEncoder();
  let started = false;
  let empty = true;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    cancel() {
      // The client went away: read no further page.
      cancelled = true;
    },
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(head));
        return;
      }
      try {
        // Every pull enqueues something (a page whose items all missed the selector reads the next),
        // or the stream would wait for a pull that never comes. Others are served between two reads.
        for (;;) {
          await yieldToEventLoop();
          if (cancelled) return;
          const items = await list.next();
          if (items === null) {
            controller.enqueue(encoder.encode("]}"));
            controller.close();
            return;
          }
          if (items !== "") {
            controller.enqueue(encoder.encode(empty ? items : `,${items}`));
            empty = false;
            return;
          }
        }
      } catch (err) {
        // The status line is sent: all that is left is to cut the body short, so the client sees an error.
        log.warn(`list of ${def.plural} failed while streaming: ${err instanceof Error ? err.message : String(err)}`);
        controller.error(err);
      }
    },
  });
  return new Response(body, { headers });
}
