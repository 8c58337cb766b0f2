// The LogicalCluster controller (src/controllers/logical-cluster/) as `kcp start` runs it: under
// leader election on the Lease admin|kube-system/kcp-logical-cluster-controller, so that of several
// kcp servers on one etcd only one counts every cluster's objects each period (N servers would
// each read every key range and race on every status write), and only one deletes a terminating
// cluster's data. The others stand by and take over when the leader stops (it releases the
// Lease) or stops renewing it (after the lease duration, 15 s; a killed leader renews no more).
//
// Deletion moves under the Lease too, though it is idempotent: N servers deleting the same ranges
// do N times the storage work and race on every key, and one actor is what closes the window of
// docs/logical-clusters.md ("Deletion and lagging replicas"). Every server still forgets a deleted
// cluster on its own, through the marker watch of src/apis/logical-clusters.ts.

import { LOGICAL_CLUSTER_PLURAL, LOGICAL_CLUSTER_VERSION, TENANCY_GROUP } from "../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER, type LogicalClusters } from "../apis/logical-clusters.ts";
import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { ClientConfig } from "../client/client-config.ts";
import { RestClient } from "../client/rest-client.ts";
import {
  LogicalClusterController,
  type LogicalClusterControllerOptions,
} from "../controllers/logical-cluster/logical-cluster-controller.ts";
import { ReplicaLease, replicasBehind } from "./replica-lease.ts";
import { KCP_VERSION } from "../version.ts";
import { atMost, type LeaderElectionTimings, leasesOf, runWhileLeader, type WhileLeader } from "./while-leader.ts";

/** The Lease the servers of one etcd elect the LogicalCluster controller's leader on (logical cluster admin). */
export const LOGICAL_CLUSTER_CONTROLLER_LEASE = { namespace: "kube-system", name: "kcp-logical-cluster-controller" };

/** The longest a shutdown step that writes to storage may take: unreachable storage must not hold up SIGTERM. */
const STOP_STEP_MS = 2000;

export interface ElectedLogicalClusterController extends WhileLeader<LogicalClusterController> {
  /**
   * Deletes this server's replica Lease (for at most STOP_STEP_MS): call once its requests have
   * finished (the server's shutdown grace), so that no deleter stops waiting for a write of it.
   */
  leave(): Promise<void>;
}

export interface LogicalClusterWiringOptions {
  controller?: LogicalClusterControllerOptions;
  election?: LeaderElectionTimings;
  /**
   * Several servers may share the storage (etcd): each keeps a Lease saying how far its writes
   * have drained (replica-lease.ts), and deletion waits for all of them. Lease duration in ms.
   */
  replicaLeaseMs?: number;
}

/** Campaigns for the Lease and runs the LogicalCluster controller while this server holds it. */
export async function startElectedLogicalClusterController(
  store: ObjectStore,
  registry: ResourceRegistry,
  clusters: LogicalClusters,
  loopback: ClientConfig,
  opts: LogicalClusterWiringOptions = {},
): Promise<ElectedLogicalClusterController> {
  const def = registry.lookup(DEFAULT_CLUSTER, TENANCY_GROUP, LOGICAL_CLUSTER_VERSION, LOGICAL_CLUSTER_PLURAL);
  if (!def) throw new Error("the logicalclusters resource is not registered");
  const rest = new RestClient({ ...loopback, userAgent: `kcp/${KCP_VERSION} logical-cluster-controller` });
  const leases = leasesOf(rest);
  // This server's own Lease is published before it serves: no server takes writes unannounced.
  const replica =
    opts.replicaLeaseMs !== undefined
      ? new ReplicaLease(leases, clusters.writes, { durationMs: opts.replicaLeaseMs })
      : undefined;
  let stopAcks = () => {};
  if (replica) {
    await replica.start();
    stopAcks = clusters.onTerminating((_name, revision) => replica.acknowledge(revision));
  }
  const controllerOptions: LogicalClusterControllerOptions = {
    ...opts.controller,
    ...(replica ? { replicasBehind: (revision: number) => replicasBehind(leases, replica.name, revision) } : {}),
  };
  const elected = runWhileLeader({
    name: "logical cluster controller",
    lease: LOGICAL_CLUSTER_CONTROLLER_LEASE,
    leases,
    election: opts.election,
    build: () => new LogicalClusterController(store, def, clusters, controllerOptions),
    startFailure: "warn",
    // With etcd unreachable the Lease simply expires.
    releaseWithinMs: STOP_STEP_MS,
    onStop: () => stopAcks(),
  });
  return {
    get active() {
      return elected.active;
    },
    isLeader: () => elected.isLeader(),
    stop: () => elected.stop(),
    async leave() {
      if (replica) await atMost(replica.stop(), STOP_STEP_MS);
    },
  };
}
