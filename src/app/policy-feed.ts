// Feeds the RBAC policy index (src/auth/rbac/policy-index.ts) from the object store: one decoded
// watch per RBAC kind across every logical cluster, its initial events (a list) delivered before
// `start()` resolves, so that `kcp start` serves no request from an empty index. When a watch
// ends by itself (storage overflow, compaction) it is opened again with a fresh list, and what the
// index holds of that kind but the new list lacks (deleted meanwhile) is removed.

import { watchObjects, type ObjectWatch } from "../apis/object-watch.ts";
import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import type { PolicyIndex, RBACKind } from "../auth/rbac/policy-index.ts";
import { log } from "../log.ts";

const KINDS: [RBACKind, string][] = [
  ["Role", "roles"],
  ["ClusterRole", "clusterroles"],
  ["RoleBinding", "rolebindings"],
  ["ClusterRoleBinding", "clusterrolebindings"],
];

/** How long to wait before watching again after a watch ended by itself. */
const REWATCH_DELAY_MS = 200;

export class PolicyFeed {
  private readonly watches = new Map<RBACKind, ObjectWatch>();
  private stopped = false;
  private readonly timers = new Set<Timer>();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly index: PolicyIndex,
  ) {}

  /** Resolves once every kind's stored objects are in the index; rejects when a first list fails. */
  async start(): Promise<void> {
    await Promise.all(KINDS.map(([kind, resource]) => this.follow(kind, resource)));
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Follows a kind again after its watch ended, until a list succeeds or the feed stops. */
  private again(kind: RBACKind, resource: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      this.follow(kind, resource).catch((e) => {
        log.warn(`RBAC ${resource}: ${(e as Error).message}; listing again`);
        this.again(kind, resource);
      });
    }, REWATCH_DELAY_MS);
    this.timers.add(t);
  }

  private follow(kind: RBACKind, resource: string): Promise<void> {
    const def = this.registry.lookup(DEFAULT_CLUSTER, "rbac.authorization.k8s.io", "v1", resource);
    if (!def) return Promise.reject(new Error(`the ${resource}.rbac.authorization.k8s.io resource is not registered`));
    return new Promise<void>((resolve, reject) => {
      let synced = false;
      // The objects of the initial list: after it, what the index holds and the list lacks is gone.
      const listed = new Set<string>();
      const watch = watchObjects(this.store, def, {
        sendInitialEvents: true,
        onEvent: (ev) => {
          const cluster = ev.cluster;
          if (cluster === undefined) return;
          const meta = ev.object.metadata;
          if (ev.type === "ADDED" || ev.type === "MODIFIED") {
            if (!synced) listed.add(`${cluster}/${meta.namespace ?? ""}/${meta.name ?? ""}`);
            this.index.upsert(kind, cluster, ev.object);
          } else if (ev.type === "DELETED") this.index.remove(kind, cluster, meta.namespace, meta.name ?? "");
        },
        onStart: () => {
          synced = true;
          for (const [cluster, namespace, name] of [...this.index.keys(kind)])
            if (!listed.has(`${cluster}/${namespace}/${name}`)) this.index.remove(kind, cluster, namespace, name);
          listed.clear();
          resolve();
        },
        onClose: (err) => {
          this.watches.delete(kind);
          if (!synced) {
            reject(err);
            return;
          }
          if (this.stopped) return;
          log.warn(`RBAC ${resource} watch ended (${err.message}); listing again`);
          this.again(kind, resource);
        },
      });
      this.watches.set(kind, watch);
    });
  }
}
