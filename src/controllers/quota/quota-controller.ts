// The resource quota controller, as kube-controller-manager's: every ResourceQuota's status gets
// `hard` (its spec's) and `used` (what the namespace holds of each named resource), written
// through /status whenever either changes, so `kubectl describe quota` shows the rows. It works
// from QuotaUsage (quota-usage.ts): a quota is brought up to date when it changes and when a
// count it names moves, never by listing; a burst of creates in a namespace coalesces into few
// writes (the work queue holds each quota once).

import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { compareQuantities, parseQuantity } from "../../machinery/quantity.ts";
import { StatusError } from "../../machinery/status.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import type { QuotaUsage } from "./quota-usage.ts";

const SYSTEM_USER = {
  username: "system:serviceaccount:kube-system:resourcequota-controller",
  groups: ["system:masters"],
};

/** Equal quantities (by value, so that a form the API canonicalises differently never causes a write loop). */
function sameQuantity(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return compareQuantities(parseQuantity(a), parseQuantity(b)) === 0;
  } catch {
    return false;
  }
}

function sameMap(a: unknown, b: Record<string, string>): boolean {
  if (!a || typeof a !== "object") return Object.keys(b).length === 0;
  const x = a as Record<string, unknown>;
  const keys = Object.keys(x);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && sameQuantity(String(x[k]), b[k] as string))
  );
}

export class ResourceQuotaController {
  private stopListening?: () => void;
  /** Items are `<cluster>/<namespace>/<name>` (none of the three holds a slash). */
  private readonly work = new WorkQueue("resource quota controller", (item) => {
    const [cluster, namespace, name] = item.split("/") as [string, string, string];
    return this.sync(cluster, namespace, name);
  });

  constructor(
    private readonly store: ObjectStore,
    private readonly usage: QuotaUsage,
    private readonly quotaDef: ResourceDef,
  ) {}

  /** Every quota known now is brought up to date, then each as it or its counts change. */
  start(): void {
    this.stopListening = this.usage.onQuotaChange((cluster, namespace, name) =>
      this.work.add(`${cluster}/${namespace}/${name}`),
    );
    for (const [cluster, q] of this.usage.all()) this.work.add(`${cluster}/${q.metadata.namespace}/${q.metadata.name}`);
  }

  stop(): void {
    this.stopListening?.();
    this.work.stop();
  }

  private async sync(cluster: string, namespace: string, name: string): Promise<boolean> {
    const cached = this.usage.quota(cluster, namespace, name);
    if (!cached) return true;
    const counting = this.usage.whenQuotaCounted(cached);
    if (counting) await counting;
    const quota = this.usage.quota(cluster, namespace, name);
    if (!quota) return true;
    const want = this.usage.statusOf(cluster, quota);
    const status = quota.status as { hard?: unknown; used?: unknown } | undefined;
    if (sameMap(status?.hard, want.hard) && sameMap(status?.used, want.used)) return true;
    const ctx: RequestContext = { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
    try {
      await this.store.update(
        this.quotaDef,
        ctx,
        namespace,
        name,
        (cur: KObject) => {
          // The counts as they are now (the spec may have changed since the cache had it).
          const now = this.usage.statusOf(cluster, cur);
          cur.status = { ...((cur.status as object | undefined) ?? {}), hard: now.hard, used: now.used };
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return true;
      throw e;
    }
    return true;
  }
}
