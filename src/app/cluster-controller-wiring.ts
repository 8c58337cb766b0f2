// The cluster controller as `kcp start` runs it: its settings (from `kcp start` flags), and the
// clients it is given — the client library's RestClient for physical clusters (from a Cluster's
// self-contained kubeconfig), and the loopback client of this kcp (loopback-client.ts) for the syncers' upstream and the pull-mode credentials.
//
// Several kcp servers on one etcd would each run a syncer per Cluster (racing on the same heartbeat
// Lease) and each install pull-mode syncers with a token of their own (the pod rolled every
// minute). So the controller runs only on the server that holds the Lease
// admin|kube-system/kcp-cluster-controller (leader election, src/client/leader-election.ts): the
// others stand by and take over when the leader stops or stops renewing.

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { SyncerMode } from "../apis/builtin/cluster.ts";
import type { ClientConfig } from "../client/client-config.ts";
import { createHash } from "node:crypto";
import { clientConfigFromKubeconfigText } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { ClusterController } from "../controllers/cluster/cluster-controller.ts";
import { checkPublicServer } from "../controllers/cluster/server-policy.ts";
import { CrdPuller } from "../controllers/crd-puller/crd-puller.ts";
import { startSyncer } from "../controllers/syncer/syncer.ts";
import { KCP_VERSION } from "../version.ts";
import { type LeaderElectionTimings, leasesOf, runWhileLeader, type WhileLeader } from "./while-leader.ts";

export interface ClusterControllerSettings {
  defaultMode: SyncerMode;
  defaultResources: string[];
  heartbeatTimeoutMs: number;
  syncerImage: string;
  /** kcp's URL as pull-mode syncers reach it; default: the URL kcp serves on. */
  kcpUrl?: string;
  /** Refuse Cluster servers on non-public addresses or plain http (server-policy.ts). */
  denyPrivateServers?: boolean;
  /** How often the API importer pulls each Cluster's resources again (default a minute). */
  importIntervalMs?: number;
  /** Leader election among the kcp servers of one etcd (tests shorten it). */
  leaderElection?: LeaderElectionTimings;
}

/** How long the controller's own requests to a physical cluster may take. */
export const CONTROLLER_REQUEST_TIMEOUT_MS = 10_000;

/** The Lease the servers of one etcd elect the cluster controller's leader on (logical cluster admin). */
export const CLUSTER_CONTROLLER_LEASE = { namespace: "kube-system", name: "kcp-cluster-controller" };

/** The cluster controller under leader election: it runs while this server holds the Lease. */
/** Stops the controller (push syncers), then gives up the Lease so another server takes over. */
export type ElectedClusterController = WhileLeader<ClusterController<RestClient>>;

export const DEFAULT_CLUSTER_CONTROLLER_SETTINGS: ClusterControllerSettings = {
  defaultMode: "push",
  defaultResources: ["deployments.apps"],
  heartbeatTimeoutMs: 30_000,
  syncerImage: `kcp:${KCP_VERSION}`,
};

export interface ClusterControllerHost {
  store: ObjectStore;
  registry: ResourceRegistry;
  /** The loopback client configuration (loopback-client.ts): push syncers' upstream, pull-mode credentials. */
  loopback: ClientConfig;
  url: string;
  caCertPem: string;
}

export async function startClusterController(
  settings: Partial<ClusterControllerSettings>,
  host: ClusterControllerHost,
): Promise<ElectedClusterController> {
  const s = { ...DEFAULT_CLUSTER_CONTROLLER_SETTINGS, ...settings };
  const loopback = new RestClient({ ...host.loopback, userAgent: `kcp/${KCP_VERSION} cluster-controller` });
  // The syncer renews its heartbeat well within the timeout (at most every 5 s, the syncer's default).
  const heartbeatIntervalMs = Math.max(100, Math.min(5000, Math.floor(s.heartbeatTimeoutMs / 3)));
  const build = () =>
    new ClusterController<RestClient>(
      {
        store: host.store,
        registry: host.registry,
        // A tenant's text: no exec plugins, no file references (the client library's default for text).
        parseKubeconfig: async (text) => {
          const config = await clientConfigFromKubeconfigText(text);
          if (s.denyPrivateServers) await checkPublicServer(config.server);
          return config;
        },
        // The controller's own requests (pull installs) give up after 10 s: a cluster that does not
        // answer must not hold a worker for the client's default 30 s per request.
        clientFor: (config, use) =>
          new RestClient(
            use === "controller"
              ? { ...(config as ClientConfig), timeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS }
              : (config as ClientConfig),
          ),
        targetOf: (config) => {
          const c = config as ClientConfig;
          return createHash("sha256")
            .update(`${c.server}\n${c.caData ?? ""}`)
            .digest("hex")
            .slice(0, 32);
        },
        upstreamFor: (lc) => loopback.forCluster(lc),
        startSyncer: (opts) => startSyncer({ ...opts, heartbeatIntervalMs }),
        newCrdPuller: (client, opts) => new CrdPuller(client, opts),
      },
      {
        defaultMode: s.defaultMode,
        defaultResources: s.defaultResources,
        heartbeatTimeoutMs: s.heartbeatTimeoutMs,
        syncerImage: s.syncerImage,
        syncerHeartbeatIntervalMs: heartbeatIntervalMs,
        kcp: { url: s.kcpUrl ?? host.url, caPem: host.caCertPem },
        ...(s.importIntervalMs !== undefined ? { importIntervalMs: s.importIntervalMs } : {}),
      },
    );

  return runWhileLeader({
    name: "cluster controller",
    lease: CLUSTER_CONTROLLER_LEASE,
    leases: leasesOf(loopback),
    election: s.leaderElection,
    build,
    // Our syncers start within the term and stop before the Lease is released: two servers never
    // run them at once.
    awaitStart: true,
  });
}
