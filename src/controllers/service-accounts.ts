// The service accounts controller: every active namespace of every logical cluster has a `default`
// ServiceAccount, as kube-controller-manager's serviceaccounts-controller ensures. It is created
// when the namespace appears, and again when it is deleted while its namespace lives on; a
// terminating namespace gets none (kube's controller skips namespaces that are not Active, and
// NamespaceLifecycle refuses creates in them).
//
// It follows namespaces through the shared namespaces informer (its cache holds summaries with
// status.phase and deletionTimestamp, which is all this needs) and service accounts through an
// informer of its own that keeps only those named `default`, trimmed to name and namespace: what
// it costs is a few hundred bytes per namespace, not a copy of every service account.

import type { ObjectStore } from "../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../apis/types.ts";
import { Informer } from "../client/informer.ts";
import { log } from "../log.ts";
import { makeFieldSelector } from "../machinery/selectors/field-selector.ts";
import { StatusError } from "../machinery/status.ts";
import { WorkQueue } from "../client/work-queue.ts";

/** The service accounts every namespace gets (kube's --service-account-names default). */
export const DEFAULT_SERVICE_ACCOUNT = "default";

const SYSTEM_USER = {
  username: "system:serviceaccount:kube-system:service-account-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
};

/** How many namespaces the start-up pass works on at once. */
const START_CONCURRENCY = 8;

/** What the cache keeps of a service account: enough to know it exists. */
function serviceAccountPresence(sa: KObject): KObject {
  return {
    apiVersion: sa.apiVersion,
    kind: sa.kind,
    metadata: { name: sa.metadata.name, namespace: sa.metadata.namespace },
  };
}

function isActive(ns: KObject): boolean {
  if (ns.metadata.deletionTimestamp) return false;
  return (ns.status as { phase?: string } | undefined)?.phase === "Active";
}

export class ServiceAccountsController {
  private readonly serviceAccounts: Informer;
  private removeHandlers?: () => void;
  /** While start() hands every cached namespace over: the keys it gathers instead of queueing. */
  private gathering?: string[];
  private stopped = false;
  /** Items are `<cluster>/<namespace>`. */
  private readonly work = new WorkQueue("service account controller", (item) => this.syncItem(item));

  constructor(
    /** Writes go through admission: NamespaceLifecycle turns creates in terminating namespaces away. */
    private readonly store: ObjectStore,
    private readonly serviceAccountDef: ResourceDef,
    /** The namespaces informer, shared; started (and synced) by its owner. */
    private readonly namespaces: Informer,
  ) {
    this.serviceAccounts = new Informer(store, serviceAccountDef, {
      name: "default service accounts",
      fieldSelector: makeFieldSelector([{ field: "metadata.name", op: "=", value: DEFAULT_SERVICE_ACCOUNT }]),
      transform: serviceAccountPresence,
      onDelete: (sa, cluster) => {
        // Recreate it, if its namespace is still active.
        if (sa.metadata.namespace) this.work.add(`${cluster}/${sa.metadata.namespace}`);
      },
    });
  }

  /**
   * Follows service accounts, then namespaces. Resolves once every namespace that existed has been
   * given its service account (so a client of a freshly started server finds `default`); failures
   * of that pass are retried in the background.
   */
  async start(): Promise<void> {
    await this.serviceAccounts.start();
    if (this.stopped) return;
    const initial: string[] = [];
    this.gathering = initial;
    this.removeHandlers = this.namespaces.addHandlers({
      onAdd: (ns, cluster) => this.consider(ns, cluster),
      onUpdate: (_old, ns, cluster) => this.consider(ns, cluster),
    });
    this.gathering = undefined;
    let next = 0;
    const worker = async () => {
      while (next < initial.length && !this.stopped) {
        const item = initial[next++] as string;
        let done = false;
        try {
          done = await this.syncItem(item);
        } catch (e) {
          log.warn(`service account controller: ${item}: ${(e as Error).message}`);
        }
        if (!done) this.work.addLater(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, initial.length) }, worker));
  }

  /** An item is `<cluster>/<namespace>` (neither name can hold a slash). */
  private syncItem(item: string): Promise<boolean> {
    const slash = item.indexOf("/");
    return this.sync(item.slice(0, slash), item.slice(slash + 1));
  }

  stop(): void {
    this.stopped = true;
    this.removeHandlers?.();
    this.serviceAccounts.stop();
    this.work.stop();
  }

  private consider(ns: KObject, cluster: string): void {
    if (!isActive(ns) || this.serviceAccounts.get(ns.metadata.name, DEFAULT_SERVICE_ACCOUNT, cluster)) return;
    const item = `${cluster}/${ns.metadata.name}`;
    if (this.gathering) this.gathering.push(item);
    else this.work.add(item);
  }

  /** Returns true when there is nothing (more) to do; false to try again later. */
  private async sync(cluster: string, namespace: string): Promise<boolean> {
    const ns = this.namespaces.get(undefined, namespace, cluster);
    // Gone, or going away: nothing to do (kube's controller looks at its namespace cache too).
    if (!ns || !isActive(ns)) return true;
    if (this.serviceAccounts.get(namespace, DEFAULT_SERVICE_ACCOUNT, cluster)) return true;
    const ctx: RequestContext = { cluster, user: SYSTEM_USER, dryRun: false, warnings: [], namespace };
    try {
      await this.store.create(
        this.serviceAccountDef,
        ctx,
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } },
        namespace,
      );
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      // Created meanwhile (by another replica, or seen late by the informer): done.
      if (e.reason === "AlreadyExists") return true;
      // The namespace went away or began terminating after the cache saw it: nothing to do.
      if (e.code === 404 || e.details?.causes?.some((c) => c.reason === "NamespaceTerminating")) return true;
      throw e;
    }
    return true;
  }
}
