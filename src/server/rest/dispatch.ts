// From request info to a REST handler: find the resource in the cluster's registry, check scope,
// subresource and verb, then call the verb's handler.

import type { ResourceDef, UserInfo } from "../../apis/types.ts";
import type { AppDeps } from "../app-deps.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { escapeValue } from "../../machinery/selectors/field-selector.ts";
import { errors } from "../../machinery/status.ts";
import { handleDelete, handleDeleteCollection } from "./delete.ts";
import { handleGet, handleList } from "./read.ts";
import { requestContext } from "./request-context.ts";
import { negotiateOutput, respondAs } from "../table/table-output.ts";
import { warningHeaderValue } from "./respond.ts";
import { handleWatch } from "./watch.ts";
import { handleCreate, handlePatch, handleSubresourceCreate, handleUpdate } from "./write.ts";

const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);

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
  if (!def.deprecationWarning) return dispatchVerb(deps, def, info, req, query, user, disableIdleTimeout);
  // A deprecated version (of a custom resource) says so on every response, as kube-apiserver does.
  const res = await dispatchVerb(deps, def, info, req, query, user, disableIdleTimeout);
  res.headers.append("Warning", warningHeaderValue(def.deprecationWarning));
  return res;
}

function dispatchVerb(
  deps: AppDeps,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
  user: UserInfo,
  disableIdleTimeout: (req: Request) => void,
): Response | Promise<Response> {
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
  const ctx = () => requestContext(info.cluster, user, query, info.namespace, req.headers.get("user-agent"));
  // Writes answer in the representation the Accept header asks for (406, before writing, when impossible).
  const asked =
    WRITE_VERBS.has(info.verb) && info.subresource === undefined
      ? negotiateOutput(def, req.headers.get("accept"))
      : ({ kind: "object" } as const);
  // The object as stored needs no second pass over the response.
  const answer =
    asked.kind === "object"
      ? (res: Promise<Response>) => res
      : async (res: Promise<Response>) => respondAs(def, asked, query, await res);
  // The view across clusters reads by resource prefix only: a namespace in its path narrows it as a
  // field selector would, so `/clusters/*/api/v1/namespaces/x/secrets` holds namespace x's alone.
  const readQuery =
    info.wildcard && info.namespace !== undefined ? withNamespaceSelector(query, info.namespace) : query;
  switch (info.verb) {
    case "get":
      return handleGet(store, def, info, req, query);
    case "list":
      return handleList(store, def, info, req, readQuery);
    case "watch": {
      const release = deps.watchLimit?.acquire(user.username) ?? (() => {});
      try {
        disableIdleTimeout(req);
        return handleWatch(store, def, info, readQuery, req, deps.watch, release);
      } catch (e) {
        release();
        throw e;
      }
    }
    case "create":
      if (info.namespace === undefined && def.namespaced) throw errors.methodNotAllowed();
      // A subresource that takes creates answers them itself (serviceaccounts/token).
      if (info.subresource !== undefined) return handleSubresourceCreate(store, deps.registry, def, info, req, ctx());
      return answer(handleCreate(store, def, info, req, ctx(), query));
    case "update":
      return answer(handleUpdate(store, def, info, req, ctx(), query));
    case "patch":
      return answer(handlePatch(store, def, info, req, ctx(), query));
    case "delete":
      return answer(handleDelete(store, def, info, req, query, ctx()));
    case "deletecollection":
      // `DELETE /api/v1/configmaps` would empty every namespace: kube-apiserver has no such route.
      if (info.namespace === undefined && def.namespaced) throw errors.methodNotAllowed();
      return handleDeleteCollection(store, def, info, req, query, ctx());
    default:
      throw errors.methodNotAllowed();
  }
}

/** `query` with `metadata.namespace=<namespace>` added to its field selector. */
function withNamespaceSelector(query: URLSearchParams, namespace: string): URLSearchParams {
  const out = new URLSearchParams(query);
  const term = `metadata.namespace=${escapeValue(namespace)}`;
  const asked = query.get("fieldSelector");
  out.set("fieldSelector", asked ? `${asked},${term}` : term);
  return out;
}
