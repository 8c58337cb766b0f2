// From request info to a REST handler: find the resource in the cluster's registry, check scope,
// subresource and verb, then call the verb's handler.

import type { UserInfo } from "../../apis/types.ts";
import type { AppDeps } from "../app.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { errors } from "../status.ts";
import { handleDelete, handleDeleteCollection } from "./delete.ts";
import { handleGet, handleList } from "./read.ts";
import { requestContext } from "./request-context.ts";
import { handleWatch } from "./watch.ts";
import { handleCreate, handlePatch, handleUpdate } from "./write.ts";

export async function dispatchResource(
  deps: AppDeps,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
  user: UserInfo,
  disableIdleTimeout: (req: Request) => void,
): Promise<Response> {
  const def = deps.registry.lookup(info.wildcard ? "*" : info.cluster, info.group, info.version, info.resource);
  if (!def) throw errors.pathNotFound();
  // A cluster-scoped resource has no namespaced path.
  if (!def.namespaced && info.namespace !== undefined) throw errors.pathNotFound();
  let verbs = def.verbs;
  if (info.subresource !== undefined) {
    const sub = def.subresources.find((s) => s.name === info.subresource);
    if (!sub) throw errors.pathNotFound();
    verbs = sub.verbs;
  }
  if (!(verbs as string[]).includes(info.verb)) throw errors.methodNotAllowed();
  // `/clusters/*` is a read-only view across all logical clusters.
  if (info.wildcard && info.verb !== "list" && info.verb !== "watch") throw errors.methodNotAllowed();
  if (info.namespace === undefined && def.namespaced && info.name !== undefined) throw errors.pathNotFound();

  const store = deps.store;
  const ctx = () => requestContext(info.cluster, user, query, info.namespace);
  switch (info.verb) {
    case "get":
      return handleGet(store, def, info);
    case "list":
      return handleList(store, def, info, query);
    case "watch":
      disableIdleTimeout(req);
      return handleWatch(store, def, info, query, req, deps.watch);
    case "create":
      if (info.namespace === undefined && def.namespaced) throw errors.methodNotAllowed();
      return handleCreate(store, def, info, req, ctx());
    case "update":
      return handleUpdate(store, def, info, req, ctx());
    case "patch":
      return handlePatch(store, def, info, req, ctx());
    case "delete":
      return handleDelete(store, def, info, req, query, ctx());
    case "deletecollection":
      return handleDeleteCollection(store, def, info, req, query, ctx());
    default:
      throw errors.methodNotAllowed();
  }
}
