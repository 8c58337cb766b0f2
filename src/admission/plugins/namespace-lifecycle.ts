// NamespaceLifecycle admission: a namespaced object may only be created in a namespace that exists
// and is not being terminated, with kube-apiserver's errors.
//
// Like kube-apiserver's plugin (an informer's lister), it answers from memory (NamespaceView). A
// namespace the view does not know (created a moment ago, maybe by another replica, and not yet
// seen by the watch), or any namespace while the watch is down, is read from storage.
//
// It checks at the validating step, after the object has been prepared and validated: an invalid
// object is refused as invalid before its namespace is looked at, as it always was here. (The
// immortal namespaces, which kube's plugin also guards, are the namespace strategy's rule.)

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { errors } from "../../machinery/status.ts";
import type { Storage } from "../../storage/interface.ts";
import { objectKey } from "../../storage/keys.ts";
import { isTerminating, type NamespaceView } from "../namespace-view.ts";

export const NAMESPACE_LIFECYCLE = "NamespaceLifecycle";

/**
 * The plugin. With `view`, known namespaces are answered from memory; unknown ones (and
 * everything without a view) are read from storage.
 */
export function namespaceLifecycle(storage: Storage, prefix: string, view?: NamespaceView): AdmissionPlugin {
  const admitCreate = async (def: ResourceDef, obj: KObject, ctx: RequestContext): Promise<void> => {
    const ns = obj.metadata.namespace as string;
    let terminating = view?.lookup(ctx.cluster, ns)?.terminating;
    if (terminating === undefined) {
      const kv = await storage.get(objectKey(prefix, { group: "", resource: "namespaces", cluster: ctx.cluster, name: ns }));
      if (!kv) throw errors.notFound({ group: "", resource: "namespaces" }, ns);
      terminating = isTerminating(kv.value);
    }
    if (terminating) {
      throw errors.forbidden(
        `${def.group ? `${def.plural}.${def.group}` : def.plural} "${obj.metadata.name ?? ""}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { group: def.group, resource: def.plural },
        obj.metadata.name,
        [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }],
      );
    }
  };
  return {
    name: NAMESPACE_LIFECYCLE,
    handles: (operation: AdmissionOperation) => operation === "CREATE",
    validate(a: AdmissionAttributes): Promise<void> | undefined {
      if (!a.def.namespaced || !a.object) return undefined;
      return admitCreate(a.def, a.object, a.ctx);
    },
  };
}
