// NamespaceView: every logical cluster's namespaces in memory, from an informer over the object
// store (a list, then a watch from the list's resourceVersion), as kube-apiserver's namespace
// informer keeps them for the NamespaceLifecycle admission plugin.

import type { ObjectStore } from "../apis/store.ts";
import type { KObject, ResourceDef } from "../apis/types.ts";
import { Informer } from "../client/informer.ts";

export interface NamespaceState {
  terminating: boolean;
}

/** Whether a namespace is going away: it has a deletionTimestamp or its phase is Terminating. */
function isTerminatingNamespace(ns: KObject): boolean {
  return (
    Boolean(ns.metadata?.deletionTimestamp) || (ns.status as { phase?: string } | undefined)?.phase === "Terminating"
  );
}

/**
 * What the shared cache keeps of a namespace: what its consumers read — name, uid,
 * resourceVersion, deletionTimestamp and status.phase (admission, the namespace and service account
 * controllers), finalizers and ownerReferences when it has any (the garbage collector) — a few
 * hundred bytes less per namespace than the whole object with its managedFields, for three or
 * more namespaces in every logical cluster.
 */
export function namespaceSummary(ns: KObject): KObject {
  const m = ns.metadata;
  const metadata: KObject["metadata"] = { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.deletionTimestamp) metadata.deletionTimestamp = m.deletionTimestamp;
  if (m.finalizers?.length) metadata.finalizers = m.finalizers;
  if (m.ownerReferences?.length) metadata.ownerReferences = m.ownerReferences;
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return { apiVersion: ns.apiVersion, kind: ns.kind, metadata, ...(phase ? { status: { phase } } : {}) };
}

/**
 * The namespaces of every logical cluster, kept by an informer. The informer is shared: the
 * namespace deletion controller follows the same one (addHandlers), so each namespace is cached
 * once, as its summary.
 */
export class NamespaceView {
  readonly informer: Informer;

  constructor(
    /** Only read (list and watch): a store without admission does. */
    private readonly store: ObjectStore,
    private readonly namespaceDef: ResourceDef,
  ) {
    this.informer = new Informer(store, namespaceDef, { name: "namespaces", transform: namespaceSummary });
  }

  /** List, then watch from the list's revision: nothing in between is missed. */
  async start(): Promise<void> {
    await this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /**
   * What the view knows of a namespace: its state, or undefined when it has to be read from
   * storage (unknown, or the view is not in sync).
   */
  lookup(cluster: string, name: string): NamespaceState | undefined {
    if (!this.informer.isCurrent()) return undefined;
    const ns = this.informer.get(undefined, name, cluster);
    return ns ? { terminating: isTerminatingNamespace(ns) } : undefined;
  }

  /**
   * A namespace's state from memory when the view knows it, else read from the store (a namespace
   * created a moment ago, maybe by another replica, and not seen by the watch yet; or any
   * namespace while the watch is down); null when it does not exist.
   */
  state(cluster: string, name: string): NamespaceState | Promise<NamespaceState | null> {
    const known = this.lookup(cluster, name);
    if (known) return known;
    return this.store
      .tryGet(this.namespaceDef, cluster, undefined, name)
      .then((ns) => (ns ? { terminating: isTerminatingNamespace(ns) } : null));
  }
}
