// The namespace deletion controller: when a namespace is Terminating (it has a deletionTimestamp),
// delete everything in it, then remove the `kubernetes` finalizer so the namespace goes away, as
// kube-controller-manager's namespace controller does. It follows namespaces in every logical
// cluster through the shared namespaces informer (client/informer.ts, kept by NamespaceView).
//
// It does not start at once. kube's controller waits 5 s after it sees a namespace terminate, and
// that wait is what makes `kubectl delete -f` of a manifest holding a namespace and its contents
// succeed there: kubectl deletes the namespace first, then each object, which must still exist
// (a 404 fails the command). Here the wait is shorter but follows the clients: the contents are
// removed once the namespace has been terminating for a quiet period (1 s) and no request has
// deleted anything in it for as long (the NamespaceLifecycle plugin notes such deletes), at most
// a minute after it was first seen terminating. A delete made through another kcp replica is not
// seen here; that replica's own controller waits for it, and the first to start wins.
//
// After each pass over the contents the namespace's status gets kube's five deletion conditions
// (NamespaceDeletionDiscoveryFailure … NamespaceFinalizersRemaining), with kube's reasons and
// messages, so `kubectl describe ns` says what is left and which finalizers hold it.

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../apis/types.ts";
import type { Informer } from "../client/informer.ts";
import { WorkQueue } from "../client/work-queue.ts";
import { StatusError } from "../machinery/status.ts";
import {
  type ContentTally,
  deletionConditions,
  mergeConditions,
  type NamespaceCondition,
} from "./namespace-conditions.ts";

const SYSTEM_USER = { username: "system:serviceaccount:kube-system:namespace-controller", groups: ["system:masters"] };

/** How long a terminating namespace is left alone, and how long after the last delete of its contents. */
export const DEFAULT_QUIET_PERIOD_MS = 1000;
/** The longest the controller waits for clients that keep deleting. */
const MAX_WAIT_MS = 60_000;

/**
 * When (ms) the contents of a namespace first seen terminating at `seen` may be removed: a quiet
 * period after that and after the last delete a request made in it, but no later than MAX_WAIT_MS
 * after `seen` (something that keeps deleting does not hold the namespace forever).
 */
export function contentRemovalTime(seen: number, lastDelete: number | undefined, quietPeriodMs: number): number {
  return Math.min(Math.max(seen, lastDelete ?? 0) + quietPeriodMs, seen + MAX_WAIT_MS);
}

export interface NamespaceDeletionOptions {
  /** The quiet period (default DEFAULT_QUIET_PERIOD_MS). */
  quietPeriodMs?: number;
  /** When a request last deleted something in the namespace (ms since the epoch), if known. */
  lastContentDelete?(cluster: string, namespace: string): number | undefined;
}

export class NamespaceDeletionController {
  private removeHandlers?: () => void;
  /** `<cluster>/<namespace>` → when this controller first saw it terminating; gone once it started on it. */
  private readonly waiting = new Map<string, number>();
  /** Namespaces whose contents this controller has started to remove (no more waiting for them). */
  private readonly started = new Set<string>();
  private readonly quietPeriodMs: number;
  /** Items are `<cluster>/<namespace>`. */
  private readonly work = new WorkQueue("namespace controller", (item) => {
    const [cluster, name] = item.split("/");
    return this.sync(item, cluster as string, name as string);
  });

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly namespaceDef: ResourceDef,
    /** The namespaces informer, shared (NamespaceView's); started by its owner. */
    private readonly namespaces: Informer,
    private readonly opts: NamespaceDeletionOptions = {},
  ) {
    this.quietPeriodMs = opts.quietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS;
  }

  /** Every cached namespace is considered now, every change (and relist) later. */
  start(): void {
    this.removeHandlers = this.namespaces.addHandlers({
      onAdd: (ns, cluster) => this.consider(ns, cluster),
      onUpdate: (_old, ns, cluster) => this.consider(ns, cluster),
      onDelete: (ns, cluster) => this.forget(`${cluster}/${ns.metadata.name}`),
    });
  }

  stop(): void {
    this.removeHandlers?.();
    this.work.stop();
  }

  private consider(ns: KObject, cluster: string): void {
    if (!ns.metadata.deletionTimestamp) return;
    const key = `${cluster}/${ns.metadata.name}`;
    if (!this.started.has(key) && !this.waiting.has(key)) this.waiting.set(key, Date.now());
    this.work.add(key);
  }

  private forget(key: string): void {
    this.waiting.delete(key);
    this.started.delete(key);
  }

  /** How many ms to wait still before removing the namespace's contents; 0: go. */
  private remainingWait(key: string, cluster: string, name: string): number {
    if (this.started.has(key)) return 0;
    const now = Date.now();
    const seen = this.waiting.get(key) ?? now;
    const ready = contentRemovalTime(seen, this.opts.lastContentDelete?.(cluster, name), this.quietPeriodMs);
    if (ready > now) return ready - now;
    this.waiting.delete(key);
    this.started.add(key);
    return 0;
  }

  /** Returns true when the namespace is gone, not terminating, or waited on; false to try again later. */
  private async sync(key: string, cluster: string, name: string): Promise<boolean> {
    const ns = await this.store.tryGet(this.namespaceDef, cluster, undefined, name);
    if (!ns?.metadata.deletionTimestamp) {
      this.forget(key);
      return true;
    }
    const wait = this.remainingWait(key, cluster, name);
    if (wait > 0) {
      this.work.addLater(key, wait);
      return true;
    }
    const ctx: RequestContext = { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
    const tally = await this.deleteContent(ctx, name);
    if (!(await this.writeConditions(ctx, ns, tally))) return true;
    if (tally.failures.length > 0 || tally.remaining.size > 0) return false;
    // Check again, all at once: something may have been created while the pass went on (through
    // a replica whose namespace view had not yet seen the namespace terminate).
    if ((await this.countLeft(cluster, name)) > 0) return false;
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

  /**
   * One pass: delete every object in the namespace not yet being deleted (in the background, as
   * kube's controller asks), and count what is left, by resource and by finalizer.
   */
  private async deleteContent(ctx: RequestContext, namespace: string): Promise<ContentTally> {
    const tally: ContentTally = { remaining: new Map(), finalizers: new Map(), failures: [] };
    for (const def of this.registry.namespacedStorageResources(ctx.cluster)) {
      let left = 0;
      try {
        const { items } = await this.store.list(def, ctx.cluster, namespace, {});
        for (const item of items) {
          let held: KObject | undefined = item;
          if (!item.metadata.deletionTimestamp) {
            held = await this.deleteOne(def, ctx, namespace, item.metadata.name as string);
          }
          if (!held) continue;
          left++;
          for (const f of held.metadata.finalizers ?? []) tally.finalizers.set(f, (tally.finalizers.get(f) ?? 0) + 1);
        }
      } catch (e) {
        tally.failures.push(`${def.group ? `${def.plural}.${def.group}` : def.plural}: ${(e as Error).message}`);
      }
      if (left > 0) tally.remaining.set(`${def.plural}.${def.group}`, left);
    }
    return tally;
  }

  /** Delete one object; what stays of it (held by finalizers), or undefined when it is gone. */
  private async deleteOne(def: ResourceDef, ctx: RequestContext, namespace: string, name: string) {
    try {
      const { object, deleted } = await this.store.delete(def, ctx, namespace, name, {
        propagationPolicy: "Background",
      });
      return deleted ? undefined : object;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  /**
   * Record the pass's conditions in the namespace's status (only when they changed). False when the
   * namespace is gone or no longer terminating.
   */
  private async writeConditions(ctx: RequestContext, ns: KObject, tally: ContentTally): Promise<boolean> {
    const current = ((ns.status as { conditions?: NamespaceCondition[] } | undefined)?.conditions ??
      []) as NamespaceCondition[];
    if (!mergeConditions(current, deletionConditions(tally)).changed) return true;
    try {
      await this.store.update(
        this.namespaceDef,
        ctx,
        undefined,
        ns.metadata.name as string,
        (cur) => {
          if (!cur.metadata.deletionTimestamp) return cur;
          const status = { ...((cur.status as Record<string, unknown> | undefined) ?? {}) };
          const before = (status.conditions as NamespaceCondition[] | undefined) ?? [];
          status.conditions = mergeConditions(before, deletionConditions(tally)).conditions;
          status.phase = "Terminating";
          cur.status = status;
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return false;
      throw e;
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
