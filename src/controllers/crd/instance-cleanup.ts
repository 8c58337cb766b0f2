// Deleting the custom resources of a CRD that is being deleted, as kube's CRD finalizer controller
// does, through the object store so that their own finalizers are honoured. A CRD of a logical
// cluster owns the objects of its group/resource in that cluster; admin's CRD also owns them in
// every cluster that inherits it (clusters without a CRD of their own for that resource).

import { crdSpec } from "../../apis/crd/crd-spec.ts";
import { INHERITED_FROM } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { CLUSTER_ANNOTATION } from "../../apis/object-codec.ts";
import { StatusError } from "../../machinery/status.ts";

const SYSTEM_USER = { username: "system:kcp:crd-finalizer", groups: ["system:masters"] };

/** A definition to reach the stored objects of a CRD whatever its served versions and names. */
export function storageDef(crd: KObject): ResourceDef {
  const spec = crdSpec(crd);
  const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? "v1";
  return {
    group: spec.group,
    version,
    plural: spec.names.plural,
    singular: spec.names.singular,
    kind: spec.names.kind,
    listKind: spec.names.listKind || `${spec.names.kind}List`,
    namespaced: spec.namespaced,
    verbs: [],
    subresources: [],
    storage: { group: spec.group, resource: spec.names.plural },
    mode: "stored",
    strategy: { hasStatus: false, tracksGeneration: false },
    source: "crd",
  };
}

/**
 * Delete every custom resource `crd` (in `cluster`) owns. `ownedIn` says whether a logical cluster's
 * objects belong to this CRD. Returns how many objects are still there (waiting for finalizers).
 */
export async function deleteInstances(
  store: ObjectStore,
  crd: KObject,
  cluster: string,
  ownedIn: (c: string) => boolean,
): Promise<number> {
  const def = storageDef(crd);
  const wildcard = cluster === INHERITED_FROM;
  const { items } = await store.list(def, wildcard ? undefined : cluster, undefined, {});
  let remaining = 0;
  for (const obj of items) {
    const c = wildcard ? (obj.metadata.annotations?.[CLUSTER_ANNOTATION] ?? "") : cluster;
    if (c !== cluster && !ownedIn(c)) continue;
    remaining++;
    if (obj.metadata.deletionTimestamp) continue;
    const ctx: RequestContext = { cluster: c, user: SYSTEM_USER, dryRun: false, warnings: [] };
    // Where the object is stored, whatever scope the CRD has now: objects stored namespaced keep their namespace.
    const namespace = obj.metadata.namespace;
    const scoped = { ...def, namespaced: Boolean(namespace) };
    try {
      const { deleted } = await store.delete(scoped, ctx, namespace, obj.metadata.name as string);
      if (deleted) remaining--;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) remaining--;
      else throw e;
    }
  }
  return remaining;
}
