// `kcp split`: run the deployment splitter for one logical cluster of a kcp, until SIGINT or
// SIGTERM — what `kcp start` runs in-process for all logical clusters (turn that off with
// `kcp start --no-deployment-splitter` when running this instead).
//
//   kcp split --kubeconfig admin.kubeconfig [--context user]
//
// The logical cluster is the one the kubeconfig's server URL names (…/clusters/<name>). See
// docs/multi-cluster.md, "The deployment splitter".
import { defineCommand } from "citty";
import { DynamicClient } from "../client/dynamic-client.ts";
import { remoteSource } from "../client/informer-sources.ts";
import { loadClientConfig } from "../client/kubeconfig-loader.ts";
import { RestClient } from "../client/rest-client.ts";
import { CLUSTERS, DEPLOYMENTS, DeploymentSplitter } from "../controllers/splitter/splitter.ts";
import { LOG_LEVEL_NAMES, type LogLevelName, log, setLogLevel } from "../log.ts";
import { isStatusError } from "../machinery/status.ts";

export default defineCommand({
  meta: {
    name: "split",
    description:
      "Split each Deployment of a logical cluster into one leaf per Ready Cluster, and sum the leaves' status into it",
  },
  args: {
    kubeconfig: {
      type: "string",
      valueHint: "file",
      description:
        "kubeconfig of kcp (default: KUBECONFIG, then ~/.kube/config); its server URL names the logical cluster",
    },
    context: { type: "string", valueHint: "name", description: "Context of the kubeconfig to use" },
    workers: { type: "string", default: "2", valueHint: "n", description: "Root Deployments worked on at once" },
    "log-level": { type: "enum", options: [...LOG_LEVEL_NAMES], default: "info", description: "How much to log" },
  },
  async run({ args }) {
    setLogLevel(args["log-level"] as LogLevelName);
    const workers = Number(args.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new Error(`--workers: "${args.workers}" is not a whole number from 1 to 64`);
    }
    const config = await loadClientConfig({ kubeconfig: args.kubeconfig, context: args.context }).catch((e: Error) => {
      throw new Error(`cannot load the kcp kubeconfig: ${e.message}`);
    });
    const rest = new RestClient({ ...config, userAgent: "kcp-split" });
    // The server must answer before anything starts: a wrong kubeconfig fails now, with a reason.
    try {
      await rest.request({ method: "GET", path: "/api", signal: AbortSignal.timeout(10_000), maxResponseBytes: 65536 });
    } catch (e) {
      const said = isStatusError(e) ? `it answered: ${e.message}` : (e as Error).message;
      throw new Error(`cannot reach kcp at ${config.server}: ${said}`);
    }
    const dynamic = new DynamicClient(rest);
    const deployments = dynamic.resource(DEPLOYMENTS);
    const splitter = new DeploymentSplitter({
      deployments: remoteSource(deployments),
      clusters: remoteSource(dynamic.resource(CLUSTERS)),
      clientFor: () => deployments,
      workers,
    });
    log.info(`Splitting Deployments of ${config.server} over its Ready Clusters`);
    const signal = new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    void splitter.start();
    // Until Deployments are served (their CRD), the caches cannot fill: say so once in a while.
    const waiting = setInterval(() => log.info("waiting for the Deployment and Cluster APIs to answer"), 15_000);
    const first = await Promise.race([splitter.started.then(() => "started"), signal]);
    clearInterval(waiting);
    // Progress: what was done, every 10 s while something happens.
    let said = "";
    const progress = setInterval(() => {
      const c = splitter.counts();
      const line = `leaves created ${c.created}, updated ${c.updated}, deleted ${c.deleted}; ${c.statusUpdates} root status updates; ${c.failures} failed attempts (retried)`;
      if (line !== said) log.info(line);
      said = line;
    }, 10_000);
    try {
      if (first === "started") {
        log.success("Deployment splitter running");
        log.info(`${await signal} received; stopping`);
      } else {
        log.info(`${first} received; stopping`);
      }
    } finally {
      clearInterval(progress);
    }
    await splitter.stop();
  },
});
