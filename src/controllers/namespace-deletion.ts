// The namespace deletion controller: when a namespace is Terminating (it has a deletionTimestamp),
// delete everything in it, then remove the `kubernetes` finalizer so the namespace goes away, as
// kube-controller-manager's namespace controller does. It watches namespaces in every logical cluster.

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../apis/types.ts";
import { log } from "../log.ts";
import type { WatchEvent } from "../storage/interface.ts";
import { PrefixInformer } from "../storage/prefix-informer.ts";
import { clusterOfKey } from "../storage/keys.ts";
import { StatusError } from "../server/status.ts";

const SYSTEM_USER = { username: "system:serviceaccount:kube-system:namespace-controller", groups: ["system:masters"] };

export class NamespaceDeletionController {
  private informer?: PrefixInformer;
  private readonly queue = new Set<string>();
  private readonly retries = new Map<string, number>();
  private running = false;
  private stopped = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly namespaceDef: ResourceDef,
  ) {}

  async start(): Promise<void> {
    this.informer = new PrefixInformer(this.store.storage, this.store.resourcePrefix(this.namespaceDef), "namespace controller", {
      onList: (items) => {
        for (const kv of items) this.consider(kv.key, kv.value);
      },
      onEvent: (ev: WatchEvent) => {
        if (ev.type === "PUT") this.consider(ev.key, ev.value);
      },
    });
    await this.informer.start();
  }

  stop(): void {
    this.stopped = true;
    this.informer?.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private consider(key: string, value: string): void {
    const obj = JSON.parse(value) as KObject;
    if (!obj.metadata.deletionTimestamp) return;
    const cluster = clusterOfKey(this.store.resourcePrefix(this.namespaceDef), key);
    this.enqueue(`${cluster}/${obj.metadata.name}`);
  }

  private enqueue(item: string): void {
    if (this.stopped) return;
    this.queue.add(item);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.size > 0 && !this.stopped) {
        const item = this.queue.values().next().value as string;
        this.queue.delete(item);
        const [cluster, name] = item.split("/");
        let done = false;
        try {
          done = await this.sync(cluster, name);
        } catch (e) {
          log.warn(`namespace controller: ${cluster}/${name}: ${(e as Error).message}`);
        }
        if (done) this.retries.delete(item);
        else this.requeueLater(item);
      }
    } finally {
      this.running = false;
    }
  }

  private requeueLater(item: string): void {
    const n = (this.retries.get(item) ?? 0) + 1;
    this.retries.set(item, n);
    const delay = Math.min(50 * 2 ** Math.min(n, 7), 5000);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(item);
    }, delay);
    this.timers.add(t);
  }

  /** Returns true when the namespace is gone or not terminating; false to try again later. */
  private async sync(cluster: string, name: string): Promise<boolean> {
    const ns = await this.store.tryGet(this.namespaceDef, cluster, undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) return true;
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
