// The deployment splitter as `kcp start` runs it: over the loopback client, following every
// logical cluster through the read-only /clusters/* view (Deployments, a CRD kind, may be served
// in some logical clusters only, or not yet: the view serves the union, and the splitter retries
// until it answers), writing through each logical cluster's own path.
//
// Several kcp servers on one etcd would each split every root: they compute the same leaves, but
// race on every write (409s, condition times). So, as the cluster controller, it runs only on the
// server that holds the Lease admin|kube-system/kcp-deployment-splitter; the others stand by.

import type { ClientConfig } from "../client/client-config.ts";
import { DynamicClient, type ResourceClient } from "../client/dynamic-client.ts";
import { remoteSource } from "../client/informer-sources.ts";
import { RestClient } from "../client/rest-client.ts";
import { CLUSTERS, DEPLOYMENTS, DeploymentSplitter } from "../controllers/splitter/splitter.ts";
import { KCP_VERSION } from "../version.ts";
import { type LeaderElectionTimings, leasesOf, runWhileLeader, type WhileLeader } from "./while-leader.ts";

/** The Lease the servers of one etcd elect the splitter's leader on (logical cluster admin). */
export const SPLITTER_LEASE = { namespace: "kube-system", name: "kcp-deployment-splitter" };

export type ElectedSplitter = WhileLeader<DeploymentSplitter>;

/** The splitter over all logical clusters of this server (not started). */
export function buildDeploymentSplitter(rest: RestClient): DeploymentSplitter {
  const all = new DynamicClient(rest.forCluster("*"));
  const writers = new Map<string, ResourceClient>();
  return new DeploymentSplitter({
    deployments: remoteSource(all.resource(DEPLOYMENTS)),
    clusters: remoteSource(all.resource(CLUSTERS)),
    clientFor(lc) {
      let c = writers.get(lc);
      if (!c) {
        c = new DynamicClient(rest.forCluster(lc)).resource(DEPLOYMENTS);
        writers.set(lc, c);
      }
      return c;
    },
  });
}

/** Campaigns for the Lease and runs the splitter while this server holds it. */
export function startDeploymentSplitter(loopback: ClientConfig, election?: LeaderElectionTimings): ElectedSplitter {
  const rest = new RestClient({ ...loopback, userAgent: `kcp/${KCP_VERSION} deployment-splitter` });
  return runWhileLeader({
    name: "deployment splitter",
    lease: SPLITTER_LEASE,
    leases: leasesOf(rest),
    election,
    build: () => buildDeploymentSplitter(rest),
  });
}
