// Filter 3, logical cluster (kcp's own), before authorization: a logical cluster comes into being
// only through a request that may create it. A request for a cluster that exists passes (known
// clusters cost no await); for one that does not, the user must be in system:masters or be
// allowed, in the `admin` logical cluster, to `create` the `logicalclusters` resource of group
// tenancy.kcp.io with the cluster's name. Then a resource request creates it (its marker and the
// namespaces default, kube-system, kube-public, kube-node-lease) and a non-resource one
// (discovery) passes without creating anything. A creator outside system:masters becomes the
// cluster's admin (AppDeps.clusterCreated), or authorization would refuse it in its own cluster.
// Anyone else gets 403 and nothing is written. Wildcard (`/clusters/*`) requests name no cluster.
// A cluster being deleted (its LogicalCluster Terminating) takes reads, deletes and reviews but no
// writes: 403, as kube answers a create in a terminating namespace.

import type { MiddlewareHandler } from "hono";
import { DEFAULT_CLUSTER, type LogicalClusters, terminatingStatus } from "../../apis/logical-clusters.ts";
import type { ResourceRegistry } from "../../apis/registry.ts";
import { MASTERS_GROUP } from "../../auth/rbac/rbac-authorizer.ts";
import type { AuthorizationAttributes, Authorizer, UserInfo } from "../../auth/types.ts";
import { forbiddenStatus } from "./forbidden-status.ts";
import type { Env } from "./env.ts";

export const LOGICAL_CLUSTER_GROUP = "tenancy.kcp.io";
export const LOGICAL_CLUSTER_RESOURCE = "logicalclusters";

/** What the authorizer is asked before `cluster` is created for `user`. */
export function createClusterAttributes(user: UserInfo, cluster: string): AuthorizationAttributes {
  return {
    user,
    cluster: DEFAULT_CLUSTER,
    verb: "create",
    resourceRequest: true,
    group: LOGICAL_CLUSTER_GROUP,
    resource: LOGICAL_CLUSTER_RESOURCE,
    name: cluster,
  };
}

export function logicalClusterFilter(
  clusters: LogicalClusters,
  registry: ResourceRegistry,
  authorizer: Authorizer,
  clusterCreated?: (cluster: string, creator: UserInfo) => Promise<void>,
): MiddlewareHandler<Env> {
  return (c, next) => {
    const info = c.get("requestInfo");
    if (info.wildcard) return next();
    // Virtual kinds (access and token reviews, whoami) are creates that store nothing: a terminating
    // cluster still answers them, as kube's namespace lifecycle lets access reviews into a
    // terminating namespace, so `kubectl auth can-i` keeps working there.
    const refuseWrite = () =>
      info.kind === "resource" &&
      WRITES.has(info.verb) &&
      clusters.isTerminating(info.cluster) &&
      registry.lookup(info.cluster, info.group, info.version, info.resource)?.mode !== "virtual";
    // A write is followed until it has finished: the deleter of a cluster waits for the writes
    // admitted before this server saw the cluster Terminating (src/apis/admitted-writes.ts).
    const admitted = () => {
      if (info.kind !== "resource" || !WRITES.has(info.verb)) return next();
      const done = clusters.writes.admit(info.cluster);
      return next().finally(done);
    };
    if (clusters.isKnown(info.cluster)) {
      if (refuseWrite()) throw terminatingStatus(info.cluster);
      return admitted();
    }
    return (async () => {
      if (await clusters.exists(info.cluster)) {
        if (refuseWrite()) throw terminatingStatus(info.cluster);
        return admitted();
      }
      const user = c.get("user");
      const master = user.groups.includes(MASTERS_GROUP);
      if (!master) {
        const attrs = createClusterAttributes(user, info.cluster);
        const decision = authorizer.authorize(attrs);
        if (!decision.allowed) {
          c.set("authorization", decision);
          throw forbiddenStatus(attrs, decision.reason || `logical cluster "${info.cluster}" does not exist`);
        }
      }
      if (info.kind === "resource") {
        // system:masters may do anything anywhere: the cluster is made after authorization (below),
        // so that a request the authorizer refuses still makes nothing.
        if (master) c.set("createCluster", true);
        // The one request that made it gives its user the cluster (cluster-admin there) before
        // authorization judges the request in it; a racing creator that lost gets nothing.
        else if ((await clusters.create(info.cluster)) && clusterCreated) await clusterCreated(info.cluster, user);
      }
      return admitted();
    })();
  };
}

/** The verbs a terminating cluster refuses: everything that writes but deletes. */
const WRITES = new Set(["create", "update", "patch"]);

export { terminatingStatus } from "../../apis/logical-clusters.ts";

/** After authorization: make the cluster a system:masters request was let into (see above). */
export function logicalClusterCreation(clusters: LogicalClusters): MiddlewareHandler<Env> {
  return (c, next) => {
    if (!c.get("createCluster")) return next();
    const pending = clusters.ensure(c.get("requestInfo").cluster);
    return pending ? pending.then(() => next()) : next();
  };
}
