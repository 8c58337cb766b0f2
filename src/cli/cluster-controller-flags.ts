// The `kcp start` flags of the cluster controller (physical clusters).

import { SYNCER_MODES, type SyncerMode, syncedResourceNameError } from "../apis/builtin/cluster.ts";
import type { ClusterControllerSettings } from "../app/cluster-controller-wiring.ts";
import { KCP_VERSION } from "../version.ts";
import { parseDurationFlag } from "./duration-flag.ts";

export const clusterControllerArgs = {
  "cluster-controller": {
    type: "boolean",
    default: true,
    description:
      "Run the cluster controller, which syncs to the physical clusters of Cluster objects (--no-cluster-controller: off)",
  },
  "cluster-syncer-mode": {
    type: "string",
    default: "push",
    valueHint: "push|pull|none",
    description:
      "Where the syncer of a Cluster that names no spec.mode runs: push (in kcp), pull (in the cluster), none",
  },
  "cluster-resources": {
    type: "string",
    default: "deployments.apps",
    valueHint: "gr,…",
    description: "Resources synced for a Cluster that names no spec.resources (comma-separated resource.group)",
  },
  "cluster-heartbeat-timeout": {
    type: "string",
    default: "30s",
    valueHint: "duration",
    description: "A Cluster is not Ready when its syncer's heartbeat is older than this",
  },
  "cluster-syncer-image": {
    type: "string",
    default: `kcp:${KCP_VERSION}`,
    valueHint: "image",
    description: "Image of the syncer pull mode installs (its entrypoint is kcp)",
  },
  "cluster-kcp-url": {
    type: "string",
    default: "",
    valueHint: "url",
    description: "kcp's URL as pull-mode syncers reach it (default: the URL kcp serves on)",
  },
  "cluster-deny-private": {
    type: "boolean",
    default: false,
    description:
      "Refuse Clusters whose server is plain http or resolves to a loopback, private or link-local address (tenants cannot make kcp reach its own network)",
  },
  "cluster-import-interval": {
    type: "string",
    default: "1m",
    valueHint: "duration",
    description: "How often the schemas of each Cluster's resources are pulled again into its APIResourceImports",
  },
} as const;

interface Flags {
  "cluster-controller"?: boolean;
  "cluster-syncer-mode"?: string;
  "cluster-resources"?: string;
  "cluster-heartbeat-timeout"?: string;
  "cluster-syncer-image"?: string;
  "cluster-kcp-url"?: string;
  "cluster-deny-private"?: boolean;
  "cluster-import-interval"?: string;
}

/** What the flags set of the controller's settings (leader election keeps its defaults). */
export type ClusterControllerFlagValues = Omit<ClusterControllerSettings, "leaderElection">;

/** The controller's settings, or false when it is off; throws a message naming the flag when one is wrong. */
export function clusterControllerFromFlags(args: Flags): ClusterControllerFlagValues | false {
  if (args["cluster-controller"] === false) return false;
  const mode = args["cluster-syncer-mode"] ?? "push";
  if (!(SYNCER_MODES as readonly string[]).includes(mode))
    throw new Error(`--cluster-syncer-mode: must be one of ${SYNCER_MODES.join(", ")}`);
  const resources = (args["cluster-resources"] ?? "deployments.apps")
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (resources.length === 0) throw new Error("--cluster-resources: name at least one resource");
  for (const r of resources) {
    const why = syncedResourceNameError(r);
    if (why) throw new Error(`--cluster-resources: ${r}: ${why}`);
  }
  const timeout = parseDurationFlag(args["cluster-heartbeat-timeout"] ?? "30s", "--cluster-heartbeat-timeout");
  if (timeout <= 0) throw new Error("--cluster-heartbeat-timeout: must be greater than 0");
  const kcpUrl = args["cluster-kcp-url"] ?? "";
  if (kcpUrl && !/^https:\/\/[^/]+/.test(kcpUrl)) throw new Error("--cluster-kcp-url: must be an https:// URL");
  const importInterval = parseDurationFlag(args["cluster-import-interval"] ?? "1m", "--cluster-import-interval");
  if (importInterval <= 0) throw new Error("--cluster-import-interval: must be greater than 0");
  return {
    defaultMode: mode as SyncerMode,
    defaultResources: resources,
    heartbeatTimeoutMs: timeout,
    syncerImage: args["cluster-syncer-image"] || `kcp:${KCP_VERSION}`,
    ...(kcpUrl ? { kcpUrl } : {}),
    ...(args["cluster-deny-private"] ? { denyPrivateServers: true } : {}),
    importIntervalMs: importInterval,
  };
}
