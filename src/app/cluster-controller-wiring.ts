// The cluster controller as `kcp start` runs it: its settings (from `kcp start` flags), and the
// clients it is given — the client library's RestClient for physical clusters (from a Cluster's
// self-contained kubeconfig), and the loopback client of this kcp (loopback-client.ts) for the syncers' upstream and the pull-mode credentials.

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { SyncerMode } from "../apis/builtin/cluster.ts";
import type { ClientConfig } from "../client/client-config.ts";
import { clientConfigFromKubeconfigText } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { ClusterController } from "../controllers/cluster/cluster-controller.ts";
import { startSyncer } from "../controllers/syncer/syncer.ts";
import { KCP_VERSION } from "../version.ts";

export interface ClusterControllerSettings {
  defaultMode: SyncerMode;
  defaultResources: string[];
  heartbeatTimeoutMs: number;
  syncerImage: string;
  /** kcp's URL as pull-mode syncers reach it; default: the URL kcp serves on. */
  kcpUrl?: string;
}

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
): Promise<ClusterController<RestClient>> {
  const s = { ...DEFAULT_CLUSTER_CONTROLLER_SETTINGS, ...settings };
  const loopback = new RestClient({ ...host.loopback, userAgent: `kcp/${KCP_VERSION} cluster-controller` });
  // The syncer renews its heartbeat well within the timeout (at most every 5 s, the syncer's default).
  const heartbeatIntervalMs = Math.max(100, Math.min(5000, Math.floor(s.heartbeatTimeoutMs / 3)));
  const controller = new ClusterController<RestClient>(
    {
      store: host.store,
      registry: host.registry,
      // A tenant's text: no exec plugins, no file references (the client library's default for text).
      parseKubeconfig: (text) => clientConfigFromKubeconfigText(text),
      clientFor: (config) => new RestClient(config as ClientConfig),
      upstreamFor: (lc) => loopback.forCluster(lc),
      startSyncer: (opts) => startSyncer({ ...opts, heartbeatIntervalMs }),
    },
    {
      defaultMode: s.defaultMode,
      defaultResources: s.defaultResources,
      heartbeatTimeoutMs: s.heartbeatTimeoutMs,
      syncerImage: s.syncerImage,
      kcp: { url: s.kcpUrl ?? host.url, caPem: host.caCertPem },
    },
  );
  await controller.start();
  return controller;
}
