// `kcp sync`: run a syncer between a kcp logical cluster and a physical cluster until SIGINT or
// SIGTERM (the "none" mode of a Cluster, and what pull mode runs in the physical cluster).
//
//   kcp sync --from-kubeconfig kcp.kubeconfig --to-kubeconfig cluster.kubeconfig --cluster east deployments.apps
//
// Objects of the given types labelled kcp.dev/cluster=<cluster> in kcp are copied into the
// physical cluster and their status copied back; see docs/syncer.md. The logical cluster is the
// one the kcp kubeconfig's server URL names (/clusters/<name>), or --logical-cluster. Without
// --to-kubeconfig inside a pod, the pod's service account is used (in-cluster config).
import { defineCommand } from "citty";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientConfig } from "../client/client-config.ts";
import { loadClientConfig } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { probeServer } from "../controllers/syncer/heartbeat.ts";
import { startSyncer } from "../controllers/syncer/syncer.ts";
import { LOG_LEVEL_NAMES, type LogLevelName, log, setLogLevel } from "../log.ts";
import { parseDurationFlag } from "./duration-flag.ts";

/** What the seed synced when no type was named. */
const DEFAULT_RESOURCES = ["deployments.apps"];

/** kcp's logical cluster for requests without a /clusters/<name> prefix. */
const DEFAULT_LOGICAL_CLUSTER = "admin";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export default defineCommand({
  meta: {
    name: "sync",
    description:
      "Sync objects labelled kcp.dev/cluster=<cluster> from a kcp logical cluster to a physical cluster, and their status back",
  },
  args: {
    resources: {
      type: "positional",
      required: false,
      valueHint: "resource…",
      description: "Resource types to sync, as resource.group or a bare resource name (default: deployments.apps)",
    },
    "from-kubeconfig": {
      type: "string",
      valueHint: "file",
      description:
        "kubeconfig of kcp (default: KUBECONFIG, then ~/.kube/config); its server URL names the logical cluster",
    },
    "from-context": { type: "string", valueHint: "name", description: "Context of --from-kubeconfig to use" },
    "to-kubeconfig": {
      type: "string",
      valueHint: "file",
      description: "kubeconfig of the physical cluster (default inside a pod: its service account)",
    },
    "to-context": { type: "string", valueHint: "name", description: "Context of --to-kubeconfig to use" },
    cluster: {
      type: "string",
      required: true,
      valueHint: "name",
      description: "The cluster's name: objects labelled kcp.dev/cluster=<name> are synced",
    },
    "logical-cluster": {
      type: "string",
      valueHint: "name",
      description: "kcp logical cluster to sync from (default: the one in the kcp server URL, else admin)",
    },
    "heartbeat-interval": {
      type: "string",
      default: "5s",
      valueHint: "duration",
      description: "How often the heartbeat Lease in kcp is renewed",
    },
    workers: {
      type: "string",
      default: "8",
      valueHint: "n",
      description: "Objects worked on at once in each direction (kcp → cluster, status back)",
    },
    "log-level": { type: "enum", options: [...LOG_LEVEL_NAMES], default: "info", description: "How much to log" },
  },
  async run({ args }) {
    setLogLevel(args["log-level"] as LogLevelName);
    const clusterName = args.cluster;
    if (!clusterName || clusterName.length > 63 || !LABEL_VALUE.test(clusterName)) {
      throw new Error(
        `--cluster: "${clusterName}" is not a valid label value (at most 63 letters, digits, '-', '_', '.')`,
      );
    }
    const heartbeatIntervalMs = parseDurationFlag(args["heartbeat-interval"], "--heartbeat-interval");
    const workers = Number(args.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw new Error(`--workers: "${args.workers}" is not a whole number from 1 to 256`);
    }
    if (heartbeatIntervalMs < 100) throw new Error("--heartbeat-interval must be at least 100ms");
    let resources = ((args as { _?: string[] })._ ?? []).filter((r) => r !== "");
    if (resources.length === 0) {
      log.info(`No resource types given; syncing ${DEFAULT_RESOURCES.join(", ")}`);
      resources = DEFAULT_RESOURCES;
    }

    const fromConfig = await loadClientConfig({
      kubeconfig: args["from-kubeconfig"],
      context: args["from-context"],
    }).catch((e: Error) => {
      throw new Error(`cannot load the kcp kubeconfig: ${e.message}`);
    });
    const toConfig = await downstreamConfig(args["to-kubeconfig"], args["to-context"]);
    const inUrl = logicalClusterOf(fromConfig.server);
    const logicalCluster = args["logical-cluster"] || inUrl || DEFAULT_LOGICAL_CLUSTER;
    // No client-side rate limit: the syncer's workers bound how many requests are in flight, and a
    // token bucket of the default 50/s would make an initial sync of 10,000 objects take minutes.
    const tuning = { userAgent: "kcp-syncer", qps: 0 };
    let upstream = new RestClient({ ...fromConfig, ...tuning });
    if (logicalCluster !== inUrl) upstream = upstream.forCluster(logicalCluster);
    const downstream = new RestClient({ ...toConfig, ...tuning });

    // Both sides must answer before anything starts: a typo in a kubeconfig fails now, with a reason.
    const upProblem = await probeServer(upstream, "kcp", 10_000);
    if (upProblem) throw new Error(upProblem);
    const downProblem = await probeServer(downstream, "the physical cluster", 10_000);
    if (downProblem) throw new Error(downProblem);

    log.info(
      `Syncing ${resources.join(", ")} labelled kcp.dev/cluster=${clusterName} from logical cluster ${logicalCluster} (${upstream.config.server}) to ${downstream.config.server}`,
    );
    const syncer = startSyncer({
      upstream,
      downstream,
      clusterName,
      logicalCluster,
      resources,
      heartbeatIntervalMs,
      workers,
    });
    const signal = new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    const first = await Promise.race([syncer.started.then(() => "started"), signal]);
    // Progress: what was done, every 10 s while something happens (an initial sync takes a while).
    let said = "";
    const progress = setInterval(() => {
      const c = syncer.counts();
      const line = `created ${c.created}, updated ${c.updated}, deleted ${c.deleted} downstream; ${c.statusUpdated} status updates in kcp; ${c.failures} failed attempts (retried)`;
      if (line !== said) log.info(line);
      said = line;
    }, 10_000);
    try {
      if (first === "started") {
        const synced = syncer.syncedResources();
        log.success(`Syncer running; synced types: ${synced.length ? synced.join(", ") : "none yet"}`);
        log.info(`${await signal} received; stopping`);
      } else {
        log.info(`${first} received; stopping`);
      }
    } finally {
      clearInterval(progress);
    }
    await syncer.stop();
  },
});

/** The logical cluster a kcp server URL names (`…/clusters/<name>`), if any. */
export function logicalClusterOf(server: string): string | undefined {
  let path: string;
  try {
    path = new URL(server).pathname;
  } catch {
    return undefined;
  }
  const m = /\/clusters\/([^/]+)\/?$/.exec(path);
  return m ? decodeURIComponent(m[1] as string) : undefined;
}

/** The physical cluster's client config: the kubeconfig given, else the pod's service account. */
async function downstreamConfig(kubeconfig: string | undefined, context: string | undefined): Promise<ClientConfig> {
  const inCluster = kubeconfig ? undefined : inClusterConfig(process.env);
  if (inCluster) return inCluster;
  if (!kubeconfig) throw new Error("--to-kubeconfig is required outside a pod (the physical cluster's kubeconfig)");
  return await loadClientConfig({ kubeconfig, context }).catch((e: Error) => {
    throw new Error(`cannot load the physical cluster's kubeconfig: ${e.message}`);
  });
}

/**
 * client-go's in-cluster config: the API server from KUBERNETES_SERVICE_HOST/PORT, the pod's
 * service account token (re-read as the kubelet rotates it) and CA; undefined outside a pod.
 */
export function inClusterConfig(
  env: Record<string, string | undefined>,
  dir = SERVICE_ACCOUNT_DIR,
): ClientConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(join(dir, "token"))) return undefined;
  const port = env.KUBERNETES_SERVICE_PORT || "443";
  const caFile = join(dir, "ca.crt");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tokenFile: join(dir, "token"),
    ...(existsSync(caFile) ? { caData: readFileSync(caFile, "utf8") } : {}),
    namespace: "default",
  };
}
