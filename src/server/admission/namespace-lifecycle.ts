// NamespaceLifecycle admission: a namespaced object may only be created in a namespace that exists
// and is not being terminated, with kube-apiserver's errors.

import type { Storage } from "../../storage/interface.ts";
import { objectKey } from "../../storage/keys.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { errors } from "../status.ts";

export function namespaceLifecycle(storage: Storage, prefix: string) {
  return async (def: ResourceDef, obj: KObject, ctx: RequestContext): Promise<void> => {
    if (!def.namespaced) return;
    const ns = obj.metadata.namespace as string;
    const kv = await storage.get(objectKey(prefix, { group: "", resource: "namespaces", cluster: ctx.cluster, name: ns }));
    if (!kv) throw errors.notFound({ group: "", resource: "namespaces" }, ns);
    const nsObj = JSON.parse(kv.value) as KObject;
    if (nsObj.metadata.deletionTimestamp || (nsObj.status as { phase?: string } | undefined)?.phase === "Terminating") {
      throw errors.forbidden(
        `${def.group ? `${def.plural}.${def.group}` : def.plural} "${obj.metadata.name ?? ""}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { group: def.group, resource: def.plural },
        obj.metadata.name,
        [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }],
      );
    }
  };
}
