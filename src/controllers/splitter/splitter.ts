// The deployment splitter: each root Deployment (no kcp.dev/cluster label) gets one leaf per Ready
// Cluster of its logical cluster, with the root's replicas divided over them (leaves.ts), and the
// root's status summed up from its leaves (root-status.ts).
//
// It runs over any pair of informer sources: `kcp start` gives it its loopback client's view of
// every logical cluster (/clusters/*), `kcp split` a remote source for one logical cluster. Writes
// go through `clientFor(logicalCluster)`. Each root is one work item, queued when it changes, when
// one of its leaves changes or goes, and when a Cluster of its logical cluster appears, goes, or
// turns Ready or NotReady. Work starts only once both caches are filled: with an empty Cluster
// cache every leaf would look orphaned.
//
// Nothing is written when nothing changes (leaves compared with what they should be, the status
// with what it was), so the splitter's own writes coming back as events end in a no-op.

import type { KObject } from "../../apis/types.ts";
import { CLUSTER_GROUP, CLUSTER_RESOURCE, CLUSTER_VERSION } from "../../apis/builtin/cluster.ts";
import type { ResourceClient, ResourceRef } from "../../client/dynamic-client.ts";
import { Informer, type InformerSource } from "../../client/informer.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { log } from "../../log.ts";
import { isStatusError } from "../../machinery/status.ts";
import { CLUSTER_LABEL } from "../syncer/labels.ts";
import { type ClusterState, isRoot, LEAF_SEPARATOR, OWNED_BY_LABEL, ownedBy, ownerRefs, planLeaves } from "./leaves.ts";
import { rootStatus, statusChanged } from "./root-status.ts";

export interface SplitterOptions {
  /** Deployments (apps/v1) of the logical clusters to split in. */
  deployments: InformerSource;
  /** Clusters (cluster.example.dev/v1alpha1) of the same logical clusters. */
  clusters: InformerSource;
  /** The Deployments of a logical cluster, for writes. */
  clientFor(logicalCluster: string): ResourceClient;
  workers?: number;
  /** Clock for condition times (tests). */
  now?(): Date;
}

export interface SplitterCounts {
  created: number;
  updated: number;
  deleted: number;
  statusUpdates: number;
  failures: number;
}

/** What the splitter reads and writes. */
export const DEPLOYMENTS: ResourceRef = {
  group: "apps",
  version: "v1",
  resource: "deployments",
  namespaced: true,
  kind: "Deployment",
};
export const CLUSTERS: ResourceRef = {
  group: CLUSTER_GROUP,
  version: CLUSTER_VERSION,
  resource: CLUSTER_RESOURCE,
  namespaced: false,
  kind: "Cluster",
};

const FIELD_MANAGER = "kcp-deployment-splitter";
const SEP = "\n";

function keyOf(cluster: string, namespace: string, name: string): string {
  return `${cluster}${SEP}${namespace}${SEP}${name}`;
}

function isReady(cluster: KObject | undefined): boolean {
  const conds = (cluster as { status?: { conditions?: { type?: string; status?: string }[] } } | undefined)?.status
    ?.conditions;
  return Array.isArray(conds) && conds.some((c) => c?.type === "Ready" && c.status === "True");
}

export class DeploymentSplitter {
  private readonly deployments: Informer;
  private readonly clusters: Informer;
  private readonly queue: WorkQueue<string>;
  private stopped = false;
  private synced = false;
  private readonly counters: SplitterCounts = { created: 0, updated: 0, deleted: 0, statusUpdates: 0, failures: 0 };
  /** Resolves once both caches are filled and the first roots are queued. */
  readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(private readonly opts: SplitterOptions) {
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    this.queue = new WorkQueue("deployment-splitter", (key) => this.reconcile(key), {
      workers: opts.workers ?? 2,
      maxDelayMs: 30_000,
    });
    this.deployments = new Informer({
      name: "deployment-splitter: deployments",
      source: opts.deployments,
      onAdd: (obj, c) => this.deploymentChanged(obj, c),
      onUpdate: (_old, obj, c) => this.deploymentChanged(obj, c),
      onDelete: (obj, c) => this.deploymentChanged(obj, c, true),
    });
    this.deployments.addIndex("roots", (obj, c) => (isRoot(obj) ? [c] : []));
    // Owned leaves by owner uid: a leaf relabelled or renamed by hand is still found (and removed).
    this.deployments.addIndex("owners", (obj, c) =>
      isRoot(obj) ? [] : ownerRefs(obj).map((r) => `${c}${SEP}${r.uid}`),
    );
    this.clusters = new Informer({
      name: "deployment-splitter: clusters",
      source: opts.clusters,
      // Only Ready is read: the kubeconfig (a credential) and the rest are not kept in memory.
      transform: (obj) => {
        const { managedFields: _, ...metadata } = obj.metadata;
        const conditions = (obj as { status?: { conditions?: unknown } }).status?.conditions;
        return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status: { conditions } } as KObject;
      },
      onAdd: (_obj, c) => this.clustersChanged(c),
      onUpdate: (old, obj, c) => {
        const leaving = (x: KObject) => !!x.metadata.deletionTimestamp;
        if (isReady(old) !== isReady(obj) || leaving(old) !== leaving(obj)) this.clustersChanged(c);
      },
      onDelete: (_obj, c) => this.clustersChanged(c),
    });
  }

  /** Fills both caches (retrying while a source does not answer, e.g. before Deployments are served), then works. */
  async start(): Promise<void> {
    await Promise.all([this.startInformer(this.clusters), this.startInformer(this.deployments)]);
    if (this.stopped) return;
    this.synced = true;
    for (const obj of this.deployments.list()) this.deploymentChanged(obj, this.opts.deployments.clusterOf(obj));
    this.markStarted();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markStarted();
    this.deployments.stop();
    this.clusters.stop();
    await this.queue.stop();
  }

  counts(): SplitterCounts {
    return { ...this.counters };
  }

  private async startInformer(informer: Informer): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await informer.start();
        return;
      } catch (e) {
        const delay = Math.min(200 * 2 ** attempt, 5000);
        const message = `deployment splitter: cannot list yet (${(e as Error).message}); retrying`;
        if (attempt === 3) log.info(message);
        else log.debug(message);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private deploymentChanged(obj: KObject, cluster: string, deleted = false): void {
    if (!this.synced) return;
    const ns = obj.metadata.namespace ?? "";
    // A Deployment that holds (or held) a leaf's name `<root>--<cluster>`: that root may now create it.
    const name = obj.metadata.name as string;
    for (let i = name.indexOf(LEAF_SEPARATOR); i > 0; i = name.indexOf(LEAF_SEPARATOR, i + 1)) {
      const rootName = name.slice(0, i);
      const root = this.deployments.get(ns, rootName, cluster);
      if (root && isRoot(root) && !ownedBy(obj, root.metadata.uid)) this.queue.add(keyOf(cluster, ns, rootName));
    }
    if (isRoot(obj)) {
      // A deleted root's leaves go with it (the garbage collector): nothing to do.
      if (!deleted) this.queue.add(keyOf(cluster, ns, obj.metadata.name as string));
      return;
    }
    // A root labelled for one cluster is a root no more: its leaves must go (see reconcile).
    if (!deleted && this.deployments.byIndex("owners", `${cluster}${SEP}${obj.metadata.uid}`).length > 0)
      this.queue.add(keyOf(cluster, ns, name));
    const owner = obj.metadata.labels?.[OWNED_BY_LABEL];
    if (owner) this.queue.add(keyOf(cluster, ns, owner));
    for (const ref of ownerRefs(obj)) {
      if (ref.kind === obj.kind && ref.name && ref.name !== owner) this.queue.add(keyOf(cluster, ns, ref.name));
    }
  }

  private clustersChanged(cluster: string): void {
    if (!this.synced) return;
    for (const root of this.deployments.byIndex("roots", cluster)) {
      this.queue.add(keyOf(cluster, root.metadata.namespace ?? "", root.metadata.name as string));
    }
  }

  private async reconcile(key: string): Promise<boolean> {
    const [lc, ns, name] = key.split(SEP) as [string, string, string];
    const root = this.deployments.get(ns, name, lc);
    if (!root || root.metadata.deletionTimestamp) return true;
    if (!isRoot(root)) return this.removeLeaves(root, lc, ns);
    const clusters: ClusterState[] = this.clusters
      .list(lc)
      // A Cluster being deleted counts as not Ready: its leaf is scaled to 0 while its syncer
      // still runs, and deleted once the Cluster is gone.
      .map((c) => ({ name: c.metadata.name as string, ready: isReady(c) && !c.metadata.deletionTimestamp }));
    const owned = this.ownedDeployments(lc, ns, root.metadata.uid as string);
    const plan = planLeaves(root, clusters, owned, (n) => this.deployments.get(ns, n, lc));
    const client = this.opts.clientFor(lc);
    let ok = true;
    const fail = (what: string, e: unknown) => {
      ok = false;
      this.failed(what, e);
    };
    const where = `${lc}|${ns}/`;
    for (const leaf of plan.deletes) if (!(await this.deleteLeaf(client, lc, ns, leaf))) ok = false;
    for (const leaf of plan.creates) {
      try {
        const made = await client.create(leaf, { namespace: ns, fieldManager: FIELD_MANAGER });
        plan.leaves.set(leaf.metadata.labels?.[CLUSTER_LABEL] as string, made);
        this.counters.created++;
        log.info(`deployment splitter: created leaf ${where}${leaf.metadata.name} (${replicasOf(leaf)} replicas)`);
      } catch (e) {
        fail(`creating ${where}${leaf.metadata.name}`, e);
      }
    }
    for (const leaf of plan.updates) {
      try {
        const made = await client.update(leaf, { fieldManager: FIELD_MANAGER });
        plan.leaves.set(leaf.metadata.labels?.[CLUSTER_LABEL] as string, made);
        this.counters.updated++;
        log.info(`deployment splitter: updated leaf ${where}${leaf.metadata.name} (${replicasOf(leaf)} replicas)`);
      } catch (e) {
        fail(`updating ${where}${leaf.metadata.name}`, e);
      }
    }
    const wrote = plan.creates.length + plan.updates.length + plan.deletes.length > 0;
    const now = (this.opts.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
    const status = rootStatus(root, plan, wrote, now);
    if (statusChanged(root, status)) {
      try {
        await client.updateStatus({ ...root, status } as KObject, { fieldManager: FIELD_MANAGER });
        this.counters.statusUpdates++;
      } catch (e) {
        fail(`updating the status of ${where}${name}`, e);
      }
    }
    return ok;
  }

  /**
   * A Deployment that was a root and now carries kcp.dev/cluster goes to that one cluster as it
   * is; the leaves it still owns would run its replicas a second time. They are deleted (the
   * garbage collector would only do so once the Deployment itself is gone).
   */
  private async removeLeaves(former: KObject, lc: string, ns: string): Promise<boolean> {
    // Only what the splitter made: owned by it and marked as its leaf.
    const leaves = this.ownedDeployments(lc, ns, former.metadata.uid as string).filter(
      (d) => d.metadata.labels?.[OWNED_BY_LABEL] === former.metadata.name,
    );
    const client = this.opts.clientFor(lc);
    const why = ` (${former.metadata.name} is labelled for one cluster now)`;
    let ok = true;
    for (const leaf of leaves) if (!(await this.deleteLeaf(client, lc, ns, leaf, why))) ok = false;
    return ok;
  }

  /** The Deployments of namespace `ns` in logical cluster `lc` that name `uid` as an owner. */
  private ownedDeployments(lc: string, ns: string, uid: string): KObject[] {
    return this.deployments
      .byIndex("owners", `${lc}${SEP}${uid}`)
      .filter((d) => d.metadata.namespace === ns && ownedBy(d, uid));
  }

  /** Delete a leaf, the uid read as precondition; false (counted, logged) when that fails, gone already is done. */
  private async deleteLeaf(client: ResourceClient, lc: string, ns: string, leaf: KObject, why = ""): Promise<boolean> {
    const where = `${lc}|${ns}/${leaf.metadata.name}`;
    try {
      await client.delete(leaf.metadata.name as string, {
        namespace: ns,
        preconditions: { uid: leaf.metadata.uid as string },
      });
      this.counters.deleted++;
      log.info(`deployment splitter: deleted leaf ${where}${why}`);
      return true;
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return true;
      this.failed(`deleting ${where}`, e);
      return false;
    }
  }

  /** A write that failed: counted; a conflict or a vanished object (the next pass decides again) only at debug. */
  private failed(what: string, e: unknown): void {
    this.counters.failures++;
    const msg = (e as Error).message;
    if (isStatusError(e) && (e.code === 409 || e.code === 404)) log.debug(`deployment splitter: ${what}: ${msg}`);
    else log.warn(`deployment splitter: ${what}: ${msg}`);
  }
}

function replicasOf(leaf: KObject): unknown {
  return (leaf as { spec?: { replicas?: unknown } }).spec?.replicas;
}
