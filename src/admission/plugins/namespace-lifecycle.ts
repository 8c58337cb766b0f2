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
//
// Deletes are never refused; one in a terminating namespace is noted in the view, because the
// namespace deletion controller holds off while requests are still deleting the namespace's
// contents (`kubectl delete -f` of a namespace and what is in it deletes them one by one).

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import type { KObject } from "../../apis/types.ts";
import { errors } from "../../machinery/status.ts";
import type { NamespaceState, NamespaceView } from "../namespace-view.ts";

const NAMESPACE_LIFECYCLE = "NamespaceLifecycle";

/** The plugin: namespaces known to the view are answered from memory (no await), others read through it. */
export function namespaceLifecycle(view: NamespaceView): AdmissionPlugin {
  return {
    name: NAMESPACE_LIFECYCLE,
    handles: (operation: AdmissionOperation) => operation === "CREATE" || operation === "DELETE",
    validate(a: AdmissionAttributes): Promise<void> | undefined {
      if (!a.def.namespaced) return undefined;
      if (a.operation === "DELETE") {
        if (!a.dryRun && a.namespace) view.noteContentDelete(a.ctx.cluster, a.namespace);
        return undefined;
      }
      if (!a.object) return undefined;
      const obj = a.object;
      const ns = a.namespace as string;
      const state = view.state(a.ctx.cluster, ns);
      if (state instanceof Promise) return state.then((s) => checkNamespace(a, obj, ns, s));
      checkNamespace(a, obj, ns, state);
      return undefined;
    },
  };
}

/** kube's answers: 404 for a namespace that does not exist, 403 NamespaceTerminating for one going away. */
function checkNamespace(a: AdmissionAttributes, obj: KObject, ns: string, state: NamespaceState | null): void {
  if (!state) throw errors.notFound({ group: "", resource: "namespaces" }, ns);
  if (state.terminating) {
    // The object's own name (a generated one is set by now), else the parent's (a subresource create).
    const name = obj.metadata.name || a.name;
    const def = a.def;
    throw errors.forbidden(
      `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      { group: def.group, resource: def.plural },
      name,
      [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }],
    );
  }
}
