// Where the object store records managed fields: on the object about to be written by a create
// or update, after the kind's strategy prepared it and before validation.

import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { trackUpdate } from "./field-manager.ts";

/** The manager of the server's own writes (controllers, bootstrap), as kube-apiserver names itself. */
export const SERVER_FIELD_MANAGER = "kube-apiserver";

/**
 * Set `next.metadata.managedFields` for a write of `live` (undefined for a create) into `next`.
 * `requested` is the managedFields the request's object carried before the strategy ran.
 */
export function recordManagedFields(
  def: ResourceDef,
  ctx: RequestContext,
  live: KObject | undefined,
  next: KObject,
  requested: unknown,
  subresource?: string,
): void {
  let entries: unknown[] | undefined;
  if (ctx.applying) entries = Array.isArray(requested) ? requested : undefined;
  else
    entries = trackUpdate(
      { def, subresource, manager: ctx.fieldManager ?? SERVER_FIELD_MANAGER },
      live,
      next,
      requested,
    );
  if (entries && entries.length > 0) next.metadata.managedFields = entries;
  else delete next.metadata.managedFields;
}
