// Where the object store records managed fields: on the object about to be written by a create
// or update, after the kind's strategy prepared it and before validation.

import { isLarge, runTask } from "../offload/offload.ts";
import { toPortableDef } from "../offload/portable-def.ts";
import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { trackUpdate } from "./field-manager.ts";

/** The manager of the server's own writes (controllers, bootstrap), as kube-apiserver names itself. */
export const SERVER_FIELD_MANAGER = "kube-apiserver";

/**
 * Set `next.metadata.managedFields` for a write of `live` (undefined for a create) into `next`.
 * `requested` is the managedFields the request's object carried before the strategy ran.
 * Large objects are compared in the offload worker: then the answer is a promise.
 */
export function recordManagedFields(
  def: ResourceDef,
  ctx: RequestContext,
  live: KObject | undefined,
  next: KObject,
  requested: unknown,
  subresource?: string,
): undefined | Promise<void> {
  const set = (entries: unknown[] | undefined): undefined => {
    if (entries && entries.length > 0) next.metadata.managedFields = entries;
    else delete next.metadata.managedFields;
    return undefined;
  };
  if (ctx.applying) return set(Array.isArray(requested) ? requested : undefined);
  const manager = ctx.fieldManager ?? SERVER_FIELD_MANAGER;
  if (!isLarge(live, next)) return set(trackUpdate({ def, subresource, manager }, live, next, requested));
  const write = { def: toPortableDef(def), manager, ...(subresource !== undefined ? { subresource } : {}) };
  return runTask("trackUpdate", { write, live, next, requested }, true).then((entries) => {
    set(entries);
  });
}
