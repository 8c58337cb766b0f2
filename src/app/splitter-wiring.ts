// The deployment splitter as `kcp start` runs it: over the loopback client, following every
// logical cluster through the read-only /clusters/* view (Deployments, a CRD kind, may be served
// in some logical clusters only, or not yet: the view serves the union, and the splitter retries
// until it answers), writing through each logical cluster's own path.
//
// Several kcp servers on one etcd would each split every root: they compute the same leaves, but
// race on every write (409s, condition times). So, as the cluster controller, it runs only on the
// server that holds the Lease admin|kube-system/kcp-deployment-splitter; the others stand by.

import { hostname } from "node:os";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import type { ClientConfig } from "../client/client-config.ts";
import { DynamicClient, type ResourceClient } from "../client/dynamic-client.ts";
import { remoteSource } from "../client/informer-sources.ts";
import { type LeaderElector, runLeaderElection } from "../client/leader-election.ts";
import { RestClient } from "../client/rest-client.ts";
import { CLUSTERS, DEPLOYMENTS, DeploymentSplitter } from "../controllers/splitter/splitter.ts";
import { log } from "../log.ts";
import { KCP_VERSION } from "../version.ts";

/** The Lease the servers of one etcd elect the splitter's leader on (logical cluster admin). */
export const SPLITTER_LEASE = { namespace: "kube-system", name: "kcp-deployment-splitter" };

export interface ElectedSplitter {
  /** The splitter while this server leads, else undefined. */
  readonly active: DeploymentSplitter | undefined;
  isLeader(): boolean;
  /** Stops the splitter (its writes in flight finish), then gives up the Lease. */
  stop(): Promise<void>;
}

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
export function startDeploymentSplitter(
  loopback: ClientConfig,
  election?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number },
): ElectedSplitter {
  const rest = new RestClient({ ...loopback, userAgent: `kcp/${KCP_VERSION} deployment-splitter` });
  let active: DeploymentSplitter | undefined;
  let stopped = false;
  // Starting and stopping happen one after the other, never interleaved.
  let transitions: Promise<void> = Promise.resolve();
  const stopActive = async () => {
    const s = active;
    active = undefined;
    if (s) {
      await s.stop();
      log.info("deployment splitter: stopped");
    }
  };
  const leases = new DynamicClient(rest.forCluster(DEFAULT_CLUSTER)).resource({
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    namespaced: true,
  });
  const elector: LeaderElector = runLeaderElection({
    client: leases,
    ...SPLITTER_LEASE,
    identity: `${hostname()}_${process.pid}_${crypto.randomUUID().slice(0, 8)}`,
    ...election,
    onStartedLeading(signal) {
      transitions = transitions.then(() => {
        if (stopped || signal.aborted) return;
        const s = buildDeploymentSplitter(rest);
        active = s;
        s.start().catch((e) => log.error(`deployment splitter: ${(e as Error).stack ?? e}`));
        log.info("deployment splitter: started (this server is the leader)");
      });
      signal.addEventListener("abort", () => (transitions = transitions.then(stopActive)), { once: true });
    },
  });
  return {
    get active() {
      return active;
    },
    isLeader: () => elector.isLeader(),
    async stop() {
      stopped = true;
      transitions = transitions.then(stopActive);
      await transitions;
      await elector.stop();
      await transitions;
    },
  };
}
