// GET of one object and LIST of a collection.

import type { ObjectStore } from "../../apis/store.ts";
import type { ResourceDef } from "../../apis/types.ts";
import { apiVersionOf } from "../../apis/object-codec.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { negotiateOutput, transformList, transformObject } from "../table/table-output.ts";
import { parseListOptions } from "./list-query.ts";
import { jsonResponse } from "./respond.ts";

export async function handleGet(store: ObjectStore, def: ResourceDef, info: ResourceRequestInfo, req: Request, query: URLSearchParams): Promise<Response> {
  // A Table or metadata-only answer, when the Accept header asks for one (406 before any read when impossible).
  const target = negotiateOutput(def, req.headers.get("accept"));
  const obj = await store.get(def, info.cluster, info.namespace, info.name as string);
  // A subresource served as another kind (a custom resource's Scale) shows its own view.
  const sub = info.subresource === undefined ? undefined : def.subresources.find((s) => s.name === info.subresource);
  if (sub?.view) return jsonResponse(sub.view(obj));
  return jsonResponse(transformObject(def, obj, target, query));
}

export async function handleList(store: ObjectStore, def: ResourceDef, info: ResourceRequestInfo, req: Request, query: URLSearchParams): Promise<Response> {
  const target = negotiateOutput(def, req.headers.get("accept"));
  const opts = parseListOptions(def, query);
  const res = await store.list(def, info.wildcard ? undefined : info.cluster, info.namespace, opts);
  const metadata: Record<string, unknown> = { resourceVersion: res.resourceVersion };
  if (res.continue) metadata.continue = res.continue;
  if (res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
  return jsonResponse(transformList(def, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata, items: res.items }, target, query));
}
