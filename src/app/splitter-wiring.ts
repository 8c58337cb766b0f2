// The deployment splitter as `kcp start` runs it: over the loopback client, following every
// logical cluster through the read-only /clusters/* view (Deployments, a CRD kind, may be served
// in some logical clusters only, or not yet: the view serves the union, and the splitter retries
// until it answers), writing through each logical cluster's own path.

import type { ClientConfig } from "../client/client-config.ts";
import { DynamicClient, type ResourceClient } from "../client/dynamic-client.ts";
import { remoteSource } from "../client/informer-sources.ts";
import { RestClient } from "../client/rest-client.ts";
import { CLUSTERS, DEPLOYMENTS, DeploymentSplitter } from "../controllers/splitter/splitter.ts";
import { KCP_VERSION } from "../version.ts";

/** Starts the splitter over all logical clusters (resolves once it is constructed; it fills its caches in the background). */
export function startDeploymentSplitter(loopback: ClientConfig): DeploymentSplitter {
  const rest = new RestClient({ ...loopback, userAgent: `kcp/${KCP_VERSION} deployment-splitter` });
  const all = new DynamicClient(rest.forCluster("*"));
  const writers = new Map<string, ResourceClient>();
  const splitter = new DeploymentSplitter({
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
  return splitter;
}
