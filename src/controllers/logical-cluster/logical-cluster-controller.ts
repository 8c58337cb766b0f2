// The logical cluster controller: keeps each LogicalCluster's status (objects per resource, bytes
// in storage) and, for one being deleted, removes all of its data and then the object.
//
// Counts are re-measured every `refreshMs` (30 s by default), one count per resource range; when
// they change, or at least every ten periods, bytes too (a bounded read of values:
// storage-usage.ts) and the status is written: `status.observedTime` says when.
//
// Deletion (phase Terminating, set by the strategy when the delete marked the object): the
// logical cluster filter refuses writes to the cluster from then on; after a quiet second (writes
// admitted just before may still land), every key of the cluster is deleted straight from storage,
// resource range by resource range, a page at a time, so that the watches of every cache and
// client see each object go (RBAC's index, the CRD registry, quotas, the garbage collector's
// graph forget the cluster through them). When a count finds nothing left the finalizer goes,
// the store removes the object, and the name is free: a new cluster of that name starts empty.

import {
  LOGICAL_CLUSTER_CONTROLLER_USER,
  LOGICAL_CLUSTER_FINALIZER,
  type LogicalClusterStatus,
} from "../../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER, type LogicalClusters } from "../../apis/logical-clusters.ts";
import { deepEqual, nowTimestamp } from "../../apis/object-codec.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { log } from "../../log.ts";
import { isObject } from "../../machinery/object.ts";
import { StatusError } from "../../machinery/status.ts";
import { clusterUsage, deleteClusterRange, type ResourceRange, storedResources } from "./storage-usage.ts";

const SYSTEM_USER = { username: LOGICAL_CLUSTER_CONTROLLER_USER, groups: ["system:masters"] };

export const DEFAULT_REFRESH_MS = 30_000;
/** How long a cluster is left alone after it was first seen terminating. */
export const DEFAULT_QUIET_PERIOD_MS = 1000;

/** How often a terminating cluster's deletion looks again for writes admitted before it still in flight. */
const DRAIN_POLL_MS = 100;
/** How often it asks again whether the other servers have drained theirs (one list of their Leases). */
const REPLICA_POLL_MS = 200;

export interface LogicalClusterControllerOptions {
  refreshMs?: number;
  quietPeriodMs?: number;
  /**
   * The other servers on the storage that may still have a write on its way admitted before
   * `revision` (src/app/replica-lease.ts); none on SQLite. Deletion waits until it is empty.
   */
  replicasBehind?: (revision: number) => Promise<string[]>;
}

export class LogicalClusterController {
  private readonly informer: Informer;
  private readonly work: WorkQueue;
  /** name → when this controller first saw it terminating. */
  private readonly seenTerminating = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly quietPeriodMs: number;
  private readonly replicasBehind?: (revision: number) => Promise<string[]>;
  /** name → the servers the last look found it waiting for (logged when that changes). */
  private readonly waitingFor = new Map<string, string>();
  private ranges?: { at: number; value: ResourceRange[] };

  constructor(
    private readonly store: ObjectStore,
    private readonly def: ResourceDef,
    private readonly clusters: LogicalClusters,
    opts: LogicalClusterControllerOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.quietPeriodMs = opts.quietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS;
    if (opts.replicasBehind) this.replicasBehind = opts.replicasBehind;
    this.work = new WorkQueue("logical cluster controller", (name) => this.sync(name), { maxDelayMs: 10_000 });
    this.informer = new Informer(store, def, {
      name: "logicalclusters",
      cluster: DEFAULT_CLUSTER,
      onAdd: (obj) => this.work.add(obj.metadata.name as string),
      onUpdate: (_old, obj) => {
        if (obj.metadata.deletionTimestamp) this.work.add(obj.metadata.name as string);
      },
      onDelete: (obj) => {
        this.seenTerminating.delete(obj.metadata.name as string);
        this.waitingFor.delete(obj.metadata.name as string);
      },
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.informer.stop();
    await this.work.stop();
  }

  private ctx(): RequestContext {
    return { cluster: DEFAULT_CLUSTER, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  /** True when done (or rescheduled); false to try again with backoff. */
  private async sync(name: string): Promise<boolean> {
    const obj = await this.store.tryGet(this.def, DEFAULT_CLUSTER, undefined, name);
    if (!obj) {
      this.seenTerminating.delete(name);
      return true;
    }
    if (!obj.metadata.deletionTimestamp) {
      await this.refresh(obj);
      this.work.addLater(name, this.refreshMs);
      return true;
    }
    return this.terminate(obj);
  }

  private async refresh(obj: KObject): Promise<void> {
    const name = obj.metadata.name as string;
    const ranges = await this.rangesForRefresh();
    const status = (isObject(obj.status) ? obj.status : {}) as LogicalClusterStatus;
    const observed = status.observedTime ? Date.parse(status.observedTime) : 0;
    const stale = Date.now() - observed >= this.refreshMs * 10;
    // Counts every period (one count per resource range); bytes, which read values, only when the
    // counts moved or the last measurement is ten periods old.
    const counts = await clusterUsage(this.store.storage, ranges, name, { bytes: false });
    const unchanged =
      status.phase === "Ready" &&
      status.objects === counts.objects &&
      typeof status.storageBytes === "number" &&
      deepEqual(status.resources ?? {}, counts.resources);
    if (unchanged && !stale) return;
    const usage = await clusterUsage(this.store.storage, ranges, name);
    await this.writeStatus(name, (cur) => {
      if (cur.metadata.deletionTimestamp) return false;
      cur.status = {
        phase: "Ready",
        objects: usage.objects,
        resources: usage.resources,
        storageBytes: usage.bytes,
        observedTime: nowTimestamp(),
      } satisfies LogicalClusterStatus;
      return true;
    });
  }

  /**
   * The resource ranges for measuring, shared by every cluster's refresh within half a period (one
   * skip scan per round, not one per cluster). Deletion always scans afresh.
   */
  private async rangesForRefresh(): Promise<ResourceRange[]> {
    const now = Date.now();
    if (this.ranges && now - this.ranges.at < this.refreshMs / 2) return this.ranges.value;
    const value = await storedResources(this.store.storage, this.store.prefix);
    this.ranges = { at: now, value };
    return value;
  }

  private async terminate(obj: KObject): Promise<boolean> {
    const name = obj.metadata.name as string;
    const now = Date.now();
    const seen = this.seenTerminating.get(name) ?? now;
    this.seenTerminating.set(name, seen);
    if (now - seen < this.quietPeriodMs) {
      this.work.addLater(name, this.quietPeriodMs - (now - seen));
      return true;
    }
    // Writes this server admitted before it saw the cluster Terminating may still be on their way
    // (a body sent slowly, a large patch): the keys go only once none is left (admitted-writes.ts).
    const marked = Number(obj.metadata.resourceVersion);
    if (this.clusters.writes.drained(name) < marked) {
      this.work.addLater(name, DRAIN_POLL_MS);
      return true;
    }
    // And so may the other servers' (each says how far it has drained, on its own Lease).
    const behind = this.replicasBehind ? await this.replicasBehind(marked) : [];
    if (behind.length > 0) {
      const who = behind.join(", ");
      if (this.waitingFor.get(name) !== who)
        log.info(`logical cluster ${name}: waiting for ${who} to drain its writes`);
      this.waitingFor.set(name, who);
      this.work.addLater(name, REPLICA_POLL_MS);
      return true;
    }
    this.waitingFor.delete(name);
    const ranges = await storedResources(this.store.storage, this.store.prefix);
    let deleted = 0;
    for (const range of ranges) deleted += await deleteClusterRange(this.store.storage, range, name);
    // Counted again over a fresh look at storage: a write admitted before the cluster was seen
    // terminating (on this replica or another) may have landed during the pass.
    const left = await clusterUsage(
      this.store.storage,
      await storedResources(this.store.storage, this.store.prefix),
      name,
    );
    if (left.objects > 0) {
      await this.writeStatus(name, (cur) => {
        cur.status = {
          phase: "Terminating",
          objects: left.objects,
          resources: left.resources,
          storageBytes: left.bytes,
          observedTime: nowTimestamp(),
          message: `${left.objects} objects left to delete`,
        } satisfies LogicalClusterStatus;
        return true;
      });
      return false;
    }
    try {
      await this.store.update(this.def, this.ctx(), undefined, name, (cur) => {
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== LOGICAL_CLUSTER_FINALIZER);
        if (cur.metadata.finalizers.length === 0) delete cur.metadata.finalizers;
        delete cur.metadata.resourceVersion;
        return cur;
      });
    } catch (e) {
      // Another kcp replica on the same storage finished first.
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
    this.clusters.forget(name);
    this.seenTerminating.delete(name);
    log.info(`logical cluster ${name} deleted (${deleted} objects)`);
    return true;
  }

  /** Update the status through /status when `change` says so; a cluster gone meanwhile is no error. */
  private async writeStatus(name: string, change: (cur: KObject) => boolean): Promise<void> {
    try {
      await this.store.update(
        this.def,
        this.ctx(),
        undefined,
        name,
        (cur) => {
          if (change(cur)) delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
  }
}
