// GET of one object and LIST of a collection.

import type { ObjectStore } from "../../apis/store.ts";
import type { ResourceDef } from "../../apis/types.ts";
import { apiVersionOf } from "../../apis/object-codec.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { parseListOptions } from "./list-query.ts";
import { jsonResponse } from "./respond.ts";

export async function handleGet(store: ObjectStore, def: ResourceDef, info: ResourceRequestInfo): Promise<Response> {
  const obj = await store.get(def, info.cluster, info.namespace, info.name as string);
  return jsonResponse(obj);
}

export async function handleList(store: ObjectStore, def: ResourceDef, info: ResourceRequestInfo, query: URLSearchParams): Promise<Response> {
  const opts = parseListOptions(def, query);
  const res = await store.list(def, info.wildcard ? undefined : info.cluster, info.namespace, opts);
  const metadata: Record<string, unknown> = { resourceVersion: res.resourceVersion };
  if (res.continue) metadata.continue = res.continue;
  if (res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
  return jsonResponse({ kind: def.listKind, apiVersion: apiVersionOf(def), metadata, items: res.items });
}
