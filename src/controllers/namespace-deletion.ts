// The namespace deletion controller: when a namespace is Terminating (it has a deletionTimestamp),
// delete everything in it, then remove the `kubernetes` finalizer so the namespace goes away, as
// kube-controller-manager's namespace controller does. It follows namespaces in every logical
// cluster through the shared namespaces informer (client/informer.ts, kept by NamespaceView).

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../apis/types.ts";
import type { Informer } from "../client/informer.ts";
import { WorkQueue } from "../client/work-queue.ts";
import { StatusError } from "../machinery/status.ts";

const SYSTEM_USER = { username: "system:serviceaccount:kube-system:namespace-controller", groups: ["system:masters"] };

export class NamespaceDeletionController {
  private removeHandlers?: () => void;
  /** Items are `<cluster>/<namespace>`. */
  private readonly work = new WorkQueue("namespace controller", (item) => {
    const [cluster, name] = item.split("/");
    return this.sync(cluster, name);
  });

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly namespaceDef: ResourceDef,
    /** The namespaces informer, shared (NamespaceView's); started by its owner. */
    private readonly namespaces: Informer,
  ) {}

  /** Every cached namespace is considered now, every change (and relist) later; deletes need nothing. */
  start(): void {
    this.removeHandlers = this.namespaces.addHandlers({
      onAdd: (ns, cluster) => this.consider(ns, cluster),
      onUpdate: (_old, ns, cluster) => this.consider(ns, cluster),
    });
  }

  stop(): void {
    this.removeHandlers?.();
    this.work.stop();
  }

  private consider(ns: KObject, cluster: string): void {
    if (!ns.metadata.deletionTimestamp) return;
    this.work.add(`${cluster}/${ns.metadata.name}`);
  }

  /** Returns true when the namespace is gone or not terminating; false to try again later. */
  private async sync(cluster: string, name: string): Promise<boolean> {
    const ns = await this.store.tryGet(this.namespaceDef, cluster, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return true;
    const ctx: RequestContext = { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
    let remaining = 0;
    for (const def of this.registry.namespacedStorageResources(cluster)) {
      const { items } = await this.store.list(def, cluster, name, {});
      for (const item of items) {
        remaining++;
        if (item.metadata.deletionTimestamp) continue;
        try {
          await this.store.delete(def, ctx, name, item.metadata.name as string);
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
        }
      }
    }
    if (remaining > 0) {
      // Check again: objects with finalizers may still be there.
      const left = await this.countLeft(cluster, name);
      if (left > 0) return false;
    }
    try {
      await this.store.update(
        this.namespaceDef,
        ctx,
        undefined,
        name,
        (cur) => {
          const spec = (cur.spec as { finalizers?: string[] } | undefined) ?? {};
          cur.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== "kubernetes") };
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "finalize" },
      );
    } catch (e) {
      // Another kcp replica on the same storage finished it first.
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
    return true;
  }

  private async countLeft(cluster: string, name: string): Promise<number> {
    let n = 0;
    for (const def of this.registry.namespacedStorageResources(cluster)) {
      n += await this.store.storage.count(this.store.collection(def, cluster, name));
    }
    return n;
  }
}
