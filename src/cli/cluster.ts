// `kcp cluster add|list|remove`: attach physical clusters to a logical cluster of kcp, as
// `karmadactl join` does for Karmada. `--kubeconfig`/`--context` name the kcp to talk to (defaults
// as kubectl's: KUBECONFIG, then ~/.kube/config; the logical cluster is the one its server URL
// names); `--cluster-kubeconfig`/`--cluster-context` name the physical cluster.
//
//   kcp cluster add east --cluster-kubeconfig east.kubeconfig [--mode push|pull|none] [--resources deployments.apps]
//   kcp cluster list
//   kcp cluster remove east
//
// `add` checks the physical cluster's kubeconfig and reaches the cluster (GET /version) before it
// writes anything, creates the Cluster with that kubeconfig embedded (self-contained), then shows
// progress until the Cluster is Ready; it exits 1 with the reason when it fails or times out.
// Exit codes: 0 done; 1 failed (the message says why).

import { defineCommand } from "citty";
import { stringify } from "yaml";
import {
  CLUSTER_API_VERSION,
  CLUSTER_KIND,
  type ClusterCondition,
  ClusterReason,
  type ClusterSpec,
  type ClusterStatus,
  SYNCER_MODES,
  type SyncerMode,
} from "../apis/builtin/cluster.ts";
import type { ClientConfig } from "../client/client-config.ts";
import { loadClientConfig } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { CLUSTER_FINALIZER } from "../controllers/cluster/cluster-controller.ts";
import { pullManifests } from "../controllers/cluster/pull-manifests.ts";
import { mintSyncerToken, syncerKubeconfig } from "../controllers/cluster/syncer-credentials.ts";
import { log } from "../log.ts";
import { isStatusError } from "../machinery/status.ts";
import type { KObject } from "../machinery/object.ts";
import { selfContainedKubeconfig } from "./cluster-kubeconfig.ts";
import { pollUntil, pollUntilGone } from "./cluster-poll.ts";
import { parseDurationFlag } from "./duration-flag.ts";
import { printColumns } from "./table-output.ts";
import { KCP_VERSION } from "../version.ts";

const CLUSTERS_PATH = "/apis/cluster.example.dev/v1alpha1/clusters";
/** Reasons that no waiting will change: the Cluster's spec must be fixed. */
const FINAL_REASONS = new Set<string>([ClusterReason.InvalidKubeConfig, ClusterReason.ErrorCreatingClient]);

const kcpArgs = {
  kubeconfig: {
    type: "string",
    valueHint: "file",
    description:
      "kubeconfig of kcp (default: KUBECONFIG, then ~/.kube/config); its server URL names the logical cluster",
  },
  context: { type: "string", valueHint: "name", description: "Context of --kubeconfig to use" },
} as const;

async function kcpClient(args: { kubeconfig?: string; context?: string }): Promise<RestClient> {
  const config = await loadClientConfig({ kubeconfig: args.kubeconfig, context: args.context }).catch((e: Error) => {
    throw new Error(`cannot load the kcp kubeconfig: ${e.message}`);
  });
  return new RestClient({ ...config, userAgent: "kcp-cluster-cli" });
}

function readyOf(obj: KObject): ClusterCondition | undefined {
  return ((obj.status ?? {}) as ClusterStatus).conditions?.find((c) => c.type === "Ready");
}

function parseResources(text: string | undefined): string[] | undefined {
  if (text === undefined || text === "") return undefined;
  const list = text
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  return list.length ? [...new Set(list)] : undefined;
}

/** Whether a URL's host is this machine only (a pod in another cluster cannot reach it). */
function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host) || host.endsWith(".localhost");
  } catch {
    return false;
  }
}

/** A Cluster's name is a DNS label; checked before it goes into a request path (no `..`, no `/`). */
function checkClusterName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
    throw new Error(`"${name}" is not a valid cluster name (a DNS label: lowercase letters, digits and '-')`);
}

const add = defineCommand({
  meta: { name: "add", description: "Attach a physical cluster to kcp's logical cluster and wait until it is Ready" },
  args: {
    name: {
      type: "positional",
      required: true,
      valueHint: "NAME",
      description: "The cluster's name: objects labelled kcp.dev/cluster=NAME go to it",
    },
    "cluster-kubeconfig": {
      type: "string",
      required: true,
      valueHint: "file",
      description: "kubeconfig of the physical cluster",
    },
    "cluster-context": { type: "string", valueHint: "name", description: "Context of --cluster-kubeconfig to use" },
    mode: {
      type: "string",
      valueHint: "push|pull|none",
      description:
        "Where the syncer runs: push (in kcp), pull (installed in the cluster), none (you run `kcp sync`); default: kcp's --cluster-syncer-mode",
    },
    resources: {
      type: "string",
      valueHint: "gr,…",
      description: "Resources to sync (comma-separated resource.group); default: kcp's --cluster-resources",
    },
    timeout: { type: "string", default: "2m", valueHint: "duration", description: "How long to wait for Ready" },
    "print-manifests": {
      type: "boolean",
      default: false,
      description:
        "With --mode pull: print the syncer's manifests for you to apply (kubectl apply -f -); the Cluster is created with mode none",
    },
    "syncer-image": {
      type: "string",
      default: `kcp:${KCP_VERSION}`,
      valueHint: "image",
      description: "With --print-manifests: the image of the syncer's Deployment",
    },
    "kcp-url": {
      type: "string",
      valueHint: "https://host:port",
      description:
        "With --print-manifests: kcp's URL as the syncer's pod reaches it (default: the server of --kubeconfig)",
    },
    ...kcpArgs,
  },
  async run({ args }) {
    const name = args.name;
    checkClusterName(name);
    const mode = args.mode as SyncerMode | undefined;
    if (mode !== undefined && !SYNCER_MODES.includes(mode))
      throw new Error(`--mode: must be one of ${SYNCER_MODES.join(", ")}`);
    if (args["print-manifests"] && mode !== "pull") throw new Error("--print-manifests goes with --mode pull");
    const kcpUrl = args["kcp-url"];
    if (kcpUrl !== undefined && !args["print-manifests"]) throw new Error("--kcp-url goes with --print-manifests");
    if (kcpUrl !== undefined && !/^https:\/\/[^/]+/.test(kcpUrl)) throw new Error("--kcp-url: must be an https:// URL");
    const timeoutMs = parseDurationFlag(args.timeout, "--timeout");
    const resources = parseResources(args.resources);
    const printOnly = args["print-manifests"] === true;
    // Progress goes to stderr when stdout carries the manifests.
    const say = printOnly ? (m: string) => process.stderr.write(`${m}\n`) : (m: string) => log.info(m);

    // 1. The physical cluster: its kubeconfig loads and the cluster answers, before anything is written.
    let clusterConfig: ClientConfig;
    try {
      clusterConfig = await loadClientConfig({
        kubeconfig: args["cluster-kubeconfig"],
        context: args["cluster-context"],
      });
    } catch (e) {
      throw new Error(`cannot load the cluster's kubeconfig: ${(e as Error).message}`);
    }
    const embedded = await selfContainedKubeconfig(clusterConfig, name);
    const physical = new RestClient({ ...clusterConfig, userAgent: "kcp-cluster-cli", timeoutMs: 10_000 });
    try {
      const v = await physical.request<{ gitVersion?: string }>({ method: "GET", path: "/version" });
      say(`Cluster ${name} answers at ${clusterConfig.server} (${v?.gitVersion ?? "version unknown"})`);
    } catch (e) {
      throw new Error(`cannot reach the cluster at ${clusterConfig.server}: ${(e as Error).message}`);
    }

    // 2. kcp: create the Cluster.
    const kcp = await kcpClient(args);
    const spec: ClusterSpec = { kubeconfig: embedded };
    if (printOnly) spec.mode = "none";
    else if (mode) spec.mode = mode;
    if (resources) spec.resources = resources;
    // The printed Deployment syncs what the Cluster names: explicit, so kcp's default cannot differ.
    else if (printOnly) spec.resources = [...DEFAULT_PRINTED_RESOURCES];
    try {
      await kcp.request({
        method: "POST",
        path: CLUSTERS_PATH,
        body: { apiVersion: CLUSTER_API_VERSION, kind: CLUSTER_KIND, metadata: { name }, spec },
      });
    } catch (e) {
      if (isStatusError(e) && e.code === 409)
        throw new Error(`cluster ${name} already exists in kcp (kcp cluster remove ${name} first)`);
      throw new Error(`cannot create cluster ${name} in kcp at ${kcp.config.server}: ${(e as Error).message}`);
    }
    say(`Created cluster ${name} in kcp (${kcp.config.server})`);
    if (printOnly) {
      // Minted only now that the Cluster exists: a refused create leaves no token and no account behind.
      try {
        await printManifests(kcp, name, spec.resources ?? [], args["syncer-image"], kcpUrl ?? kcp.config.server, say);
      } catch (e) {
        throw new Error(
          `cluster ${name} was created, but its syncer's manifests could not be made (kcp cluster remove ${name} to start over): ${(e as Error).message}`,
        );
      }
      say(`Apply the manifests above to the cluster; \`kcp cluster list\` shows when its syncer is Ready.`);
      return;
    }

    // 3. Wait for Ready, saying what changes on the way.
    log.start(`Waiting up to ${args.timeout} for cluster ${name} to be Ready`);
    let last = "";
    let final: ClusterCondition | undefined;
    const { value: ready, lastError } = await pollUntil(timeoutMs, async (signal) => {
      const obj = await kcp.request<KObject>({
        method: "GET",
        path: `${CLUSTERS_PATH}/${encodeURIComponent(name)}`,
        signal,
      });
      const cond = readyOf(obj);
      if (!cond) return undefined;
      const line = `${cond.reason}: ${cond.message ?? ""}`;
      if (line !== last) {
        last = line;
        if (cond.status !== "True") log.info(line);
      }
      if (cond.status === "True") return cond;
      if (cond.reason && FINAL_REASONS.has(cond.reason)) {
        final = cond;
        return cond;
      }
      return undefined;
    });
    if (final) throw new Error(`cluster ${name} is not Ready: ${final.reason}: ${final.message ?? ""}`);
    if (!ready) {
      const why = last
        ? ` (${last})`
        : lastError
          ? ` (kcp did not answer: ${lastError.message})`
          : " and has no status: is kcp running its cluster controller?";
      throw new Error(`cluster ${name} is not Ready after ${args.timeout}${why}`);
    }
    log.success(`Cluster ${name} is Ready`);
  },
});

/** The resources of a printed install when --resources names none (kcp's own default is not known here). */
const DEFAULT_PRINTED_RESOURCES = ["deployments.apps"];

/** The pull-mode manifests on stdout, with a token of the logical cluster's syncer service account. */
async function printManifests(
  kcp: RestClient,
  name: string,
  resources: string[],
  image: string,
  kcpUrl: string,
  warn: (m: string) => void,
): Promise<void> {
  const lc = /\/clusters\/([^/]+)\/?$/.exec(new URL(kcp.config.server).pathname)?.[1] ?? "admin";
  if (isLoopbackUrl(kcpUrl))
    warn(
      `Warning: the syncer will reach kcp at ${kcpUrl}, an address of this machine only; pass --kcp-url with one its pod can reach`,
    );
  if (!kcp.config.caData)
    warn(
      "Warning: the kcp kubeconfig names no CA (insecure-skip-tls-verify or system roots): the syncer's kubeconfig has none either and trusts the system's roots",
    );
  const { token } = await mintSyncerToken(kcp, name, resources);
  const manifests = pullManifests({
    logicalCluster: decodeURIComponent(lc),
    clusterName: name,
    resources,
    image,
    kcpKubeconfig: syncerKubeconfig({ url: kcpUrl, caPem: kcp.config.caData }, decodeURIComponent(lc), name, token),
  });
  process.stdout.write(manifests.map((m) => `---\n${stringify(m)}`).join(""));
}

const list = defineCommand({
  meta: { name: "list", description: "List the clusters attached to kcp's logical cluster" },
  args: { ...kcpArgs },
  async run({ args }) {
    const kcp = await kcpClient(args);
    const res = await kcp.request<{ items: KObject[] }>({ method: "GET", path: CLUSTERS_PATH });
    const rows = [["NAME", "MODE", "READY", "REASON", "SYNCED", "MESSAGE"]];
    for (const c of res.items) {
      const spec = (c.spec ?? {}) as ClusterSpec;
      const status = (c.status ?? {}) as ClusterStatus;
      const ready = readyOf(c);
      rows.push([
        c.metadata.name ?? "",
        spec.mode ?? "(default)",
        ready?.status ?? "",
        ready?.reason ?? "",
        (status.syncedResources ?? []).join(",") || "-",
        ready?.message ?? "",
      ]);
    }
    if (res.items.length === 0) {
      process.stdout.write("No clusters\n");
      return;
    }
    printColumns(rows);
  },
});

const remove = defineCommand({
  meta: {
    name: "remove",
    description: "Detach a cluster: stop its syncer and remove what pull mode installed (synced workloads stay)",
  },
  args: {
    name: { type: "positional", required: true, valueHint: "NAME", description: "The cluster to remove" },
    timeout: { type: "string", default: "2m", valueHint: "duration", description: "How long to wait for the cleanup" },
    ...kcpArgs,
  },
  async run({ args }) {
    checkClusterName(args.name);
    const timeoutMs = parseDurationFlag(args.timeout, "--timeout");
    const kcp = await kcpClient(args);
    const path = `${CLUSTERS_PATH}/${encodeURIComponent(args.name)}`;
    try {
      await kcp.request({ method: "DELETE", path });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) throw new Error(`cluster ${args.name} does not exist in kcp`);
      throw e;
    }
    log.start(`Removing cluster ${args.name} (stopping its syncer)`);
    const { value: gone, lastError } = await pollUntilGone(timeoutMs, (signal) =>
      kcp.request({ method: "GET", path, signal }),
    );
    if (!gone)
      throw new Error(
        `cluster ${args.name} is still being removed after ${args.timeout}${lastError ? ` (kcp did not answer: ${lastError.message})` : ""}. ` +
          `Its finalizer ${CLUSTER_FINALIZER} waits for kcp's cluster controller to stop its syncer and remove what pull mode installed ` +
          `(is the controller running? kcp's log says what it waits for). To drop the finalizer by hand, leaving any installed syncer behind: ` +
          `kubectl patch clusters.cluster.example.dev ${args.name} --type=merge -p '{"metadata":{"finalizers":null}}'`,
      );
    log.success(`Cluster ${args.name} removed; what was synced to it stays there`);
  },
});

export default defineCommand({
  meta: { name: "cluster", description: "Attach, list and detach physical clusters (Cluster objects)" },
  subCommands: { add, register: add, list, remove },
});
