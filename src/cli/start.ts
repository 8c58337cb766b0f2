// `kcp start`: validate the flags, then hand over to the server. The server module is imported
// only here, so `kcp version` and `--help` never pay for loading it.
import { defineCommand } from "citty";
import { resolve } from "node:path";
import { LOG_LEVEL_NAMES, type LogLevelName, setLogLevel } from "../log.ts";
import { servingHosts } from "../pki/certs.ts";
import { parseListenAddress } from "./listen-address.ts";
import { parseByteSizeFlag } from "./byte-size-flag.ts";
import { parseDurationFlag } from "./duration-flag.ts";
import { startStorageArgs, storageFromFlags } from "./storage-flags.ts";
import { clusterControllerArgs, clusterControllerFromFlags } from "./cluster-controller-flags.ts";
import { fairnessArgs, fairnessFromFlags } from "./fairness-flags.ts";

// Contract with src/app/start-server.ts (the server side of start-up):
//   export function runServer(opts: {
//     rootDir: string;                          // absolute; created if missing
//     listen: { host: string; port: number };   // host without brackets; "0.0.0.0" for all interfaces
//     logLevel: LogLevelName;
//     storage?: StorageOptions;                 // src/storage/open-storage.ts; absent: SQLite in <rootDir>/data
//     installWorkloadCRDs?: boolean;            // create the ready-made workload CRDs in admin if missing
//   }): Promise<void>;                          // resolves once the server has stopped (SIGINT/SIGTERM)

export default defineCommand({
  meta: {
    name: "start",
    description: "Start the API server (listens on 127.0.0.1:6443) and write an admin kubeconfig",
  },
  args: {
    "root-dir": {
      type: "string",
      default: ".kcp",
      valueHint: "dir",
      description: "Directory for state, certificates and the admin kubeconfig",
    },
    listen: {
      type: "string",
      default: "127.0.0.1:6443",
      valueHint: "host:port",
      description: "Address of the secure listener (IPv6 as [::1]:6443; an empty host means all interfaces)",
    },
    "tls-sans": {
      type: "string",
      valueHint: "names",
      description:
        "More DNS names and IP addresses for the serving certificate, comma-separated (e.g. a load balancer's); the certificate is issued again when they change",
    },
    "log-level": {
      type: "enum",
      options: [...LOG_LEVEL_NAMES],
      default: "info",
      description: "How much to log",
    },
    "authorization-mode": {
      type: "enum",
      options: ["RBAC", "AlwaysAllow"],
      default: "RBAC",
      description:
        "How requests are authorized: RBAC (each logical cluster's Roles and bindings) or AlwaysAllow (any authenticated request)",
    },
    "client-certificates": {
      type: "boolean",
      default: false,
      description:
        "Accept TLS client certificates signed by kcp's CA (e.g. from approved CSRs), through a TLS listener in front of Bun.serve that every request then crosses (slower watches and large lists)",
    },
    "token-auth-file": {
      type: "string",
      valueHint: "file",
      description:
        "Static bearer tokens, kube-apiserver's CSV: token,user,uid,\"group1,group2\" (users of every logical cluster; their rights come from each cluster's authorizer)",
    },
    "audit-log-path": {
      type: "string",
      valueHint: "file",
      description:
        "Append an audit event per request (kube's audit.k8s.io/v1 Event, Metadata level, JSON lines, with the logical cluster) to this file; - for stdout",
    },
    ...startStorageArgs,
    "max-object-size": {
      type: "string",
      default: "1.5Mi",
      valueHint: "size",
      description:
        "Largest object kcp stores, on every backend (etcd's default request limit; an external etcd needs --max-request-bytes at least this); larger writes are 413",
    },
    "request-timeout": {
      type: "string",
      default: "60s",
      valueHint: "duration",
      description:
        "Answer 504 Timeout to a request that is not a watch and has no answer within this (kube-apiserver's default; a body trickled a byte at a time included), 1s to 250s",
    },
    "max-watches-per-user": {
      type: "string",
      default: "1000",
      valueHint: "count",
      description:
        "Concurrent watches one user may hold (across logical clusters); more are 429 TooManyRequests; 0: no cap",
    },
    "metrics-cluster-label": {
      type: "boolean",
      default: false,
      description:
        "Label the request metrics on /metrics with the logical cluster (logical_cluster); off by default, as every tenant adds series (2,000 at most)",
    },
    ...fairnessArgs,
    ...clusterControllerArgs,
    "api-negotiation": {
      type: "boolean",
      default: true,
      description:
        "Run API negotiation: APIResourceImports become NegotiatedAPIResources and CRDs, with their Compatible and Available conditions (--no-api-negotiation: off; those conditions are then up to you)",
    },
    "auto-publish-apis": {
      type: "boolean",
      default: false,
      description:
        "Publish new negotiated API resources (NegotiatedAPIResource spec.publish=true) as CRDs without waiting for someone to set it",
    },
    "install-workload-crds": {
      type: "boolean",
      default: false,
      description:
        "Create the ready-made CRDs for deployments, pods, services, … in admin (all logical clusters) if missing",
    },
    "deployment-splitter": {
      type: "boolean",
      default: true,
      description:
        "Split Deployments over the Ready Clusters of their logical cluster, one leaf each (--no-deployment-splitter: off)",
    },
  },
  async run({ args }) {
    const listen = parseListenAddress(args.listen);
    if (args["root-dir"] === "") throw new Error("--root-dir must not be empty");
    const rootDir = resolve(args["root-dir"]);
    const logLevel = args["log-level"] as LogLevelName;
    const tlsSans = tlsSansFromFlag(args["tls-sans"]);
    const storage = storageFromFlags(args, rootDir);
    // Below 64 KiB the objects kcp creates for itself at start-up might not fit.
    const maxObjectBytes = parseByteSizeFlag(args["max-object-size"] ?? "1.5Mi", "--max-object-size", 64 * 1024);
    const clusterController = clusterControllerFromFlags(args);
    const fairness = fairnessFromFlags(args);
    const requestTimeoutMs = parseDurationFlag(args["request-timeout"] ?? "60s", "--request-timeout");
    // Bun's idle timeout (at most 255 s) must outlast it, so a slow request gets its 504 before the cut.
    if (requestTimeoutMs < 1000 || requestTimeoutMs > 250_000)
      throw new Error("--request-timeout must be between 1s and 250s");
    const maxWatchesText = args["max-watches-per-user"] ?? "1000";
    if (!/^[0-9]{1,9}$/.test(maxWatchesText))
      throw new Error(`--max-watches-per-user: "${maxWatchesText}" is not a whole number (0: no cap)`);
    if (args["token-auth-file"] === "") throw new Error("--token-auth-file must not be empty");
    const tokenAuthFile = args["token-auth-file"] ? resolve(args["token-auth-file"]) : undefined;
    if (args["audit-log-path"] === "") throw new Error("--audit-log-path must not be empty");
    const auditLogPath =
      args["audit-log-path"] === "-" ? "-" : args["audit-log-path"] ? resolve(args["audit-log-path"]) : undefined;
    setLogLevel(logLevel);
    const { runServer } = await import("../app/start-server.ts");
    const installWorkloadCRDs = args["install-workload-crds"] === true;
    await runServer({
      rootDir,
      listen,
      ...(tlsSans.length ? { tlsSans } : {}),
      logLevel,
      clusterController,
      ...(storage ? { storage } : {}),
      maxObjectBytes,
      requestTimeoutMs,
      maxWatchesPerUser: Number(maxWatchesText),
      ...(args["metrics-cluster-label"] === true ? { metricsClusterLabel: true } : {}),
      fairness,
      installWorkloadCRDs,
      ...(args["deployment-splitter"] === false ? { deploymentSplitter: false } : {}),
      negotiation: args["api-negotiation"] === false ? false : { autoPublish: args["auto-publish-apis"] === true },
      ...(args["client-certificates"] === true ? { clientCertificates: true } : {}),
      ...(tokenAuthFile ? { tokenAuthFile } : {}),
      ...(auditLogPath ? { auditLogPath } : {}),
      authorizationMode: args["authorization-mode"] === "AlwaysAllow" ? "AlwaysAllow" : "RBAC",
    });
  },
});

/** `--tls-sans a,b,10.0.0.1`: the names, checked now so a typo stops the start with its name. */
export function tlsSansFromFlag(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  if (names.length === 0) throw new Error("--tls-sans must name at least one host name or IP address");
  servingHosts(names);
  return names;
}
