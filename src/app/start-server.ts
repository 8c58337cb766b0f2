// Start-up and shutdown of `kcp start`: the data directory, PKI and token, storage, the registry,
// the HTTP server, the admin kubeconfig, the in-process controllers, and a clean stop on signals.

import { stopOffload } from "../apis/offload/offload.ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { removeServerKubeconfig, writeServerKubeconfig } from "./admin-kubeconfig.ts";
import { clusterCreatorHook } from "./cluster-creator.ts";
import { CrdController } from "../controllers/crd/crd-controller.ts";
import { GarbageCollector, storageKeyOf } from "../controllers/gc/garbage-collector.ts";
import { NamespaceDeletionController } from "../controllers/namespace-deletion.ts";
import { DEFAULT_REPLICA_LEASE_MS } from "./replica-lease.ts";
import {
  type ElectedLogicalClusterController,
  startElectedLogicalClusterController,
} from "./logical-cluster-wiring.ts";
import { electionTimings } from "./while-leader.ts";
import { ServiceAccountsController } from "../controllers/service-accounts.ts";
import { ResourceQuotaController } from "../controllers/quota/quota-controller.ts";
import { DEFAULT_CLUSTER, type LogicalClusters } from "../apis/logical-clusters.ts";
import { type ObjectWatch, watchObjects } from "../apis/object-watch.ts";
import type { ResourceDef } from "../apis/types.ts";
import { CLUSTER_GROUP, CLUSTER_RESOURCE, CLUSTER_VERSION } from "../apis/builtin/cluster.ts";
import {
  APIRESOURCE_GROUP,
  APIRESOURCE_VERSION,
  IMPORT_RESOURCE,
  NEGOTIATED_RESOURCE,
} from "../apis/builtin/apiresource.ts";
import type {
  NegotiationController,
  NegotiationControllerOptions,
} from "../controllers/negotiation/negotiation-controller.ts";
import { log, type LogLevelName } from "../log.ts";
import { ensureServingCerts } from "../pki/certs.ts";
import { ensureServiceAccountKey } from "../pki/service-account-key.ts";
import { ensureAdminToken } from "../pki/tokens.ts";
import type { Storage } from "../storage/interface.ts";
import { type OpenedStorage, openStorage, type StorageOptions } from "../storage/open-storage.ts";
import { createApp } from "../server/app.ts";
import { countObjects } from "../server/metrics/object-counts.ts";
import { RequestMetrics } from "../server/metrics/request-metrics.ts";
import { TimedStorage } from "../storage/timed-storage.ts";
import { rawPathRoutes, unroutedPath } from "../server/raw-path-routes.ts";
import { startApiCore } from "./api-core.ts";
import { loopbackClientConfig, loopbackUser, newLoopbackToken } from "./loopback-client.ts";
import type { ClientConfig } from "../client/client-config.ts";
import type { AdmissionPlugin } from "../apis/admission.ts";
import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import { AllowAllAuthorizer } from "../auth/allow-all-authorizer.ts";
import { PolicyIndex } from "../auth/rbac/policy-index.ts";
import { RBACAuthorizer } from "../auth/rbac/rbac-authorizer.ts";
import type { Authorizer } from "../auth/types.ts";
import { PolicyFeed } from "./policy-feed.ts";
import { ServiceAccountTokenAuthenticator, storageLookup } from "../auth/service-account-authenticator.ts";
import { ServiceAccountJWT } from "../auth/service-account-jwt.ts";
import { adminUser, StaticTokenAuthenticator } from "../auth/token-authenticator.ts";
import { UnionAuthenticator } from "../auth/union-authenticator.ts";
import { loadTokenFile, TokenFileAuthenticator } from "../auth/token-file.ts";
import type { CsrController, CsrControllerOptions } from "../controllers/csr/csr-controller.ts";
import type { ClientCertListener } from "./client-cert-listener.ts";
import { DEFAULT_WATCH_SETTINGS, type WatchSettings } from "../server/rest/watch.ts";
import { DEFAULT_MAX_WATCHES_PER_USER, WatchesPerUser } from "../server/rest/watch-limit.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../server/filters/request-timeout.ts";
import { flowControlFor } from "../server/fairness/flow-control.ts";
import { requestLimitsFor } from "../machinery/request-limits.ts";
import type { ClusterControllerSettings, ElectedClusterController } from "./cluster-controller-wiring.ts";

export interface ServerOptions {
  rootDir: string;
  listen: { host: string; port: number };
  /** More names and addresses for the serving certificate (`--tls-sans`). */
  tlsSans?: string[];
  logLevel?: LogLevelName;
  /** Overrides for tests (e.g. a short bookmark interval). */
  watch?: Partial<WatchSettings>;
  /** How often to compact the default SQLite store's history (kube-apiserver: 5 minutes). */
  compactionIntervalMs?: number;
  /** The storage backend (default: SQLite at `<rootDir>/data/kcp.db`). See src/storage/open-storage.ts. */
  storage?: StorageOptions;
  /** The largest stored object in bytes, on every backend (`--max-object-size`; default etcd's 1.5 MiB). */
  maxObjectBytes?: number;
  /** Admission plugins of the embedding program, run after kcp's own (NamespaceLifecycle), in this order. */
  admission?: AdmissionPlugin[];
  /** The cluster controller (physical clusters, src/controllers/cluster/); false: not started. Default: on, with its defaults. */
  clusterController?: Partial<ClusterControllerSettings> | false;
  /** Create the missing ready-made workload CRDs in `admin` (so every logical cluster serves them). */
  installWorkloadCRDs?: boolean;
  /** The deployment splitter (src/controllers/splitter/) in every logical cluster; default on. */
  deploymentSplitter?: boolean;
  /** API negotiation (src/controllers/negotiation/); false: not started. Default: on, without auto-publish. */
  negotiation?: NegotiationControllerOptions | false;
  /**
   * Accept TLS client certificates signed by kcp's CA (default false). They need a TLS listener (Bun
   * sockets) in front of Bun.serve (see client-cert-listener.ts), which every request then crosses;
   * off, Bun.serve serves TLS directly (see docs/performance.md for what the listener costs).
   */
  clientCertificates?: boolean;
  /** The CSR signing and cleaning controllers' settings (tests shorten the cleaner's periods). */
  csr?: CsrControllerOptions;
  /** kube-apiserver's static token CSV (`token,user,uid,"group1,group2"`): users of every logical cluster. */
  tokenAuthFile?: string;
  /** Append kube's audit.k8s.io/v1 events (Metadata level) as JSON lines to this file; `-`: stdout. */
  auditLogPath?: string;
  /**
   * How requests are authorized: "RBAC" (the default; each logical cluster's Roles and bindings,
   * see docs/security.md) or "AlwaysAllow" (every authenticated request is allowed).
   */
  authorizationMode?: AuthorizationMode;
  /** A request that is not a watch gets 504 when it has no answer within this (`--request-timeout`; default 60 s). */
  requestTimeoutMs?: number;
  /** Each user's cap on concurrent watches (`--max-watches-per-user`; default 1,000; 0: no cap). */
  maxWatchesPerUser?: number;
  /** A `logical_cluster` label on the request metrics (`--metrics-cluster-label`; off by default). */
  metricsClusterLabel?: boolean;
  /** Flow control's seats (`--max-requests-inflight` and friends; kube's totals, a share of 4 per flow by default; 0: off). */
  fairness?: { maxRequestsInflight: number; maxMutatingRequestsInflight: number; perFlow: number };
}

/** Bun closes a connection idle this long at most (its idleTimeout's largest value, in seconds). */
const MAX_IDLE_TIMEOUT_S = 255;
/** The request timeout must answer before Bun's idle timeout (about 4 s coarse) cuts the connection. */
const IDLE_MARGIN_S = 5;
/** The longest --request-timeout: Bun's idle timeout, which must outlast it, stops at 255 s. */
export const MAX_REQUEST_TIMEOUT_MS = (MAX_IDLE_TIMEOUT_S - IDLE_MARGIN_S) * 1000;

export type AuthorizationMode = "AlwaysAllow" | "RBAC";
export const AUTHORIZATION_MODES: readonly AuthorizationMode[] = ["AlwaysAllow", "RBAC"];

export interface RunningServer {
  /** https://host:port */
  url: string;
  port: number;
  kubeconfigPath: string;
  token: string;
  caCertPem: string;
  storage: Storage;
  /** In-process client configuration (the app called directly, an in-memory token): `new RestClient(loopback)`. */
  loopback: ClientConfig;
  stop(): Promise<void>;
}

/** How long /readyz waits for the storage check before calling it failed. */
const STORAGE_CHECK_TIMEOUT_MS = 3000;

function displayHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  // A bad token file stops the start before anything is opened.
  const tokenFile = opts.tokenAuthFile ? new TokenFileAuthenticator(loadTokenFile(opts.tokenAuthFile)) : undefined;
  if (tokenFile) log.info(`Token file ${opts.tokenAuthFile}: ${tokenFile.size} users`);
  const dataDir = join(opts.rootDir, "data");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const [certs, token, serviceAccountKey] = await Promise.all([
    ensureServingCerts(dataDir, {
      extraHosts: [
        ...(opts.listen.host && opts.listen.host !== "0.0.0.0" && opts.listen.host !== "::" ? [opts.listen.host] : []),
        ...(opts.tlsSans ?? []),
      ],
    }),
    ensureAdminToken(dataDir),
    ensureServiceAccountKey(dataDir),
  ]);

  const opened = await openStorage(
    opts.storage ?? {
      backend: "sqlite",
      path: join(dataDir, "kcp.db"),
      ...(opts.compactionIntervalMs !== undefined ? { compactionIntervalMs: opts.compactionIntervalMs } : {}),
    },
    opts.maxObjectBytes ? { maxValueBytes: opts.maxObjectBytes } : {},
  );
  // What to stop should the start fail half-way; nothing may outlive it, above all not an embedded etcd.
  const undo: (() => void)[] = [];
  try {
    return await serve(opts, opened, { certs, token, serviceAccountKey, dataDir, tokenFile }, undo);
  } catch (err) {
    for (const u of undo) u();
    await opened.close().catch(() => {});
    throw err;
  }
}

interface Credentials {
  certs: Awaited<ReturnType<typeof ensureServingCerts>>;
  token: string;
  serviceAccountKey: string;
  dataDir: string;
  tokenFile: TokenFileAuthenticator | undefined;
}

async function serve(
  opts: ServerOptions,
  opened: OpenedStorage,
  { certs, token, serviceAccountKey, dataDir, tokenFile }: Credentials,
  undo: (() => void)[],
): Promise<RunningServer> {
  log.info(`Storage: ${opened.description}`);
  const stopCompaction = opened.startCompaction();
  undo.push(stopCompaction);
  const { keyPrefix } = opened;
  // Every storage call is timed for /metrics (kcp_storage_operation_duration_seconds).
  const timedStorage = new TimedStorage(opened.storage);
  const storage: Storage = timedStorage;
  const serviceAccountTokens = new ServiceAccountJWT(serviceAccountKey);
  // In-process controllers authenticate with a token that exists only in this process's memory.
  const loopbackToken = newLoopbackToken();
  const authenticator = new UnionAuthenticator(
    new StaticTokenAuthenticator([
      { token, user: adminUser() },
      { token: loopbackToken, user: loopbackUser() },
    ]),
    ...(tokenFile ? [tokenFile] : []),
    new ServiceAccountTokenAuthenticator(serviceAccountTokens, storageLookup(storage, keyPrefix)),
  );
  // RBAC's index is filled from the store below, before the server listens.
  const policy = opts.authorizationMode === "AlwaysAllow" ? undefined : new PolicyIndex();
  const authorizer: Authorizer = policy ? new RBACAuthorizer(policy) : new AllowAllAuthorizer();
  const core = await startApiCore({
    storage,
    keyPrefix,
    authenticator,
    authorizer,
    serviceAccountTokens,
    admission: opts.admission,
    clusterRoleRules: policy ? (cluster, name) => policy.clusterRoleRules(cluster, name) : undefined,
  });
  undo.push(() => core.stop());
  const { registry, store, clusters, namespaceDef, crdDef } = core;
  // No request may be authorized from an empty index: every stored RBAC object is in it before serving.
  const policyFeed = policy ? new PolicyFeed(store, registry, policy) : undefined;
  if (policyFeed) {
    undo.push(() => policyFeed.stop());
    await policyFeed.start();
  }
  const namespaces = new NamespaceDeletionController(store, registry, namespaceDef, core.namespaces, {
    lastContentDelete: core.lastContentDelete,
  });
  undo.push(() => namespaces.stop());
  namespaces.start();
  // Established CRDs are served before the server reports ready.
  const crds = new CrdController(store, registry, crdDef);
  undo.push(() => crds.stop());
  await crds.start();
  if (opts.installWorkloadCRDs) {
    const { installWorkloadCRDs } = await import("../apis/workload-crds/install.ts");
    const created = await installWorkloadCRDs(store, registry, crdDef, DEFAULT_CLUSTER);
    if (created.length) log.info(`Installed workload CRDs in ${DEFAULT_CLUSTER}: ${created.join(", ")}`);
  }
  // Every namespace's `default` service account exists before the server reports ready.
  const serviceAccountDef = registry.lookup(DEFAULT_CLUSTER, "", "v1", "serviceaccounts");
  if (!serviceAccountDef) throw new Error("the serviceaccounts resource is not registered");
  const serviceAccounts = new ServiceAccountsController(store, serviceAccountDef, core.namespaces);
  undo.push(() => serviceAccounts.stop());
  await serviceAccounts.start();
  const quotaDef = registry.lookup(DEFAULT_CLUSTER, "", "v1", "resourcequotas");
  if (!quotaDef) throw new Error("the resourcequotas resource is not registered");
  const quotas = new ResourceQuotaController(store, core.quotaUsage, quotaDef);
  undo.push(() => quotas.stop());
  quotas.start();
  // The garbage collector follows every stored resource (sharing the namespaces informer). As
  // kube-controller-manager's, it does not hold up readiness: it starts once the server serves
  // (its first lists decode every object: 0.8 s for 110,000) and decides nothing before they are in.
  // KCP_DISABLE_GC=1 leaves it out: a benchmarking switch (scripts/bench/gc.ts measures creates with
  // and without it), not a supported configuration — owned objects are then never collected.
  const gc =
    process.env.KCP_DISABLE_GC === "1"
      ? undefined
      : new GarbageCollector(store, registry, {
          shared: new Map([[storageKeyOf(namespaceDef), core.namespaces]]),
        });
  if (gc) undo.push(() => gc.stop());
  // Loaded and started once the server is ready, as the cluster controller below: neither holds up
  // start-up (kube-controller-manager's controllers do not hold up the API server either).
  let csrs: CsrController | undefined;
  const audit = opts.auditLogPath
    ? (await import("../server/audit/audit-log.ts")).AuditLog.open(opts.auditLogPath)
    : undefined;
  if (audit) {
    undo.push(() => void audit.close());
    log.info(`Audit log: ${audit.description}`);
  }

  const activeWatches = new Set<() => void>();
  const requestTimeoutMs = Math.min(opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS);
  const flowControl = flowControlFor(opts.fairness, requestTimeoutMs);
  let ready = false;
  const clientCertificates = opts.clientCertificates === true;
  const app = createApp({
    registry,
    store,
    clusters,
    authenticator,
    ...(clientCertificates
      ? {
          clientCertAuthenticator: new (await import("../auth/client-cert-authenticator.ts")).ClientCertAuthenticator(),
        }
      : {}),
    authorizer,
    serverAddress: `${displayHost(opts.listen.host || "0.0.0.0")}:${opts.listen.port}`,
    readyChecks: [
      { name: "ping", check: () => true },
      { name: "storage", check: () => withDeadline(storage.healthy(), STORAGE_CHECK_TIMEOUT_MS) },
      { name: "shutdown", check: () => ready },
    ],
    liveChecks: [{ name: "ping", check: () => true }],
    watch: { ...DEFAULT_WATCH_SETTINGS, ...opts.watch, active: activeWatches },
    // In-process controllers (one watch per resource and cluster they follow) are never capped.
    watchLimit: new WatchesPerUser(
      opts.maxWatchesPerUser ?? DEFAULT_MAX_WATCHES_PER_USER,
      new Set([loopbackUser().username]),
    ),
    requestTimeoutMs,
    ...(flowControl ? { flowControl } : {}),
    ...(audit ? { audit } : {}),
    metrics: {
      requests: new RequestMetrics(registry, { clusterLabel: opts.metricsClusterLabel === true }),
      storageDurations: timedStorage.durations,
      objectCounts: () => countObjects(storage, keyPrefix, registry),
      logicalClusters: () => clusters.count(),
      openWatches: () => activeWatches.size,
      ...(flowControl ? { flowControl } : {}),
    },
    clusterCreated: clusterCreatorHook(store, registry, policy),
  });
  const loopback = loopbackClientConfig(app, loopbackToken);
  // Elected among the servers of one etcd (a Lease, over the loopback): one counts and deletes.
  const logicalClusters = await startLogicalClusterController(store, registry, clusters, loopback, opts.storage);
  undo.push(() => void logicalClusters.stop());

  // With client certificates, Bun.serve speaks plain HTTP on a loopback port and the TLS listener
  // in front of it passes each connection through (Bun.serve cannot show the handler a certificate).
  let front: ClientCertListener | undefined;
  const bindings = {
    timeout: (req: Request, seconds: number) => server.timeout(req, seconds),
    peerCertificate: (req: Request) => front?.peerCertificate(() => server.requestIP(req)),
    requestIP: (req: Request) => server.requestIP(req)?.address,
  };
  const server = Bun.serve({
    hostname: clientCertificates ? "127.0.0.1" : opts.listen.host || "0.0.0.0",
    port: clientCertificates ? 0 : opts.listen.port,
    ...(clientCertificates ? {} : { tls: { cert: certs.certPem, key: certs.keyPem } }),
    // Bun's idle timeout bounds a request's whole life, a body trickled a byte at a time included, and
    // a kept-alive connection's silence. It outlasts the request timeout, so a slow request gets its
    // 504 first; watches switch it off for their own request. (Bun closes a connection that has not
    // sent its complete headers after about 10 s, whatever this says.)
    idleTimeout: Math.ceil(requestTimeoutMs / 1000) + IDLE_MARGIN_S,
    // Beyond kcp's own body limit (src/machinery/request-limits.ts), so a body over that gets kcp's 413 Status.
    maxRequestBodySize: Math.max(16 * 1024 * 1024, 2 * requestLimitsFor(storage.maxValueBytes).maxBodyBytes),
    // Each request's raw path is checked before the app sees the resolved one (raw-path-routes.ts).
    routes: rawPathRoutes((req) => app.fetch(req, bindings)),
    fetch: unroutedPath((req) => app.fetch(req, bindings)),
  });
  undo.push(() => void server.stop(true));
  if (clientCertificates) {
    const { startClientCertListener } = await import("./client-cert-listener.ts");
    front = await startClientCertListener({
      host: opts.listen.host || "0.0.0.0",
      port: opts.listen.port,
      certPem: certs.certPem,
      keyPem: certs.keyPem,
      clientCaPem: certs.caCertPem,
      backendPort: server.port as number,
    });
  }
  const port = front ? front.port : (server.port as number);
  const url = `https://${displayHost(opts.listen.host === "0.0.0.0" || opts.listen.host === "" ? "127.0.0.1" : opts.listen.host === "::" ? "::1" : opts.listen.host)}:${port}`;
  // Replicas on one etcd may share the root directory: each keeps to its own kubeconfig then.
  const kubeconfigPlan = await writeServerKubeconfig(dataDir, {
    server: url,
    caCertPem: certs.caCertPem,
    token,
    port,
    shared: opts.storage?.backend === "etcd",
  });
  const kubeconfigPath = kubeconfigPlan.path;
  ready = true;
  gc?.start().catch((e) => log.error(`garbage collector: ${(e as Error).stack ?? e}`));
  let stopping: Promise<void> | undefined;
  // Like kube-controller-manager's, the CSR controllers do not hold up readiness; they load once a
  // CertificateSigningRequest exists somewhere.
  let csrsStarted: Promise<void> = Promise.resolve();
  const csrDef = registry.lookup(DEFAULT_CLUSTER, "certificates.k8s.io", "v1", "certificatesigningrequests");
  const firstCsr = csrDef
    ? whenFirstObject(store, csrDef, () => {
        if (stopping) return;
        csrsStarted = startCsrController(store, registry, certs, opts.csr)
          .then((c) => {
            csrs = c;
            if (stopping) return c.stop();
            return c.start();
          })
          .catch((e) => log.error(`csr controllers: ${(e as Error).stack ?? e}`));
      })
    : undefined;
  // Physical clusters: the cluster controller (and the client library and syncer it loads) starts
  // once the server serves and some logical cluster holds a Cluster (or a Cluster's watch ends
  // without one): a kcp that attaches no cluster pays neither start-up time nor memory for it.
  // Push syncers reach kcp through the loopback.
  let clusterControllerStarted: Promise<ElectedClusterController | undefined> = Promise.resolve(undefined);
  const startClusterControllerNow = () =>
    import("./cluster-controller-wiring.ts")
      .then(async (m) => {
        const c = await m.startClusterController(opts.clusterController || {}, {
          store,
          registry,
          loopback,
          url,
          caCertPem: certs.caCertPem,
        });
        if (stopping) {
          await c.stop();
          return undefined;
        }
        return c;
      })
      .catch((e) => {
        log.error(`cluster controller: ${(e as Error).stack ?? e}`);
        return undefined;
      });
  const clusterDef = registry.lookup(DEFAULT_CLUSTER, CLUSTER_GROUP, CLUSTER_VERSION, CLUSTER_RESOURCE);
  const firstCluster =
    opts.clusterController !== false && clusterDef
      ? whenFirstObject(store, clusterDef, () => {
          if (!stopping) clusterControllerStarted = startClusterControllerNow();
        })
      : undefined;
  // The deployment splitter loads once Deployments are served (a CRD, maybe created later) and one exists.
  let splitterStarted: Promise<{ stop(): Promise<void> } | undefined> = Promise.resolve(undefined);
  const firstDeployment =
    opts.deploymentSplitter !== false
      ? whenFirstDeployment(store, registry, () => {
          if (stopping) return;
          splitterStarted = import("./splitter-wiring.ts")
            .then((m) => (stopping ? undefined : m.startDeploymentSplitter(loopback)))
            .catch((e) => {
              log.error(`deployment splitter: ${(e as Error).stack ?? e}`);
              return undefined;
            });
        })
      : undefined;
  // API negotiation: loaded once an APIResourceImport or a NegotiatedAPIResource exists somewhere.
  let negotiationStarted: Promise<NegotiationController | undefined> = Promise.resolve(undefined);
  const startNegotiation = () => {
    if (stopping || firstNegotiationStarted) return;
    firstNegotiationStarted = true;
    for (const w of firstNegotiationObject) w.stop();
    negotiationStarted = import("../controllers/negotiation/negotiation-controller.ts")
      .then(async (m) => {
        const c = new m.NegotiationController(store, registry, opts.negotiation || {});
        if (stopping) return undefined;
        await c.start();
        return c;
      })
      .catch((e) => {
        log.error(`negotiation controller: ${(e as Error).stack ?? e}`);
        return undefined;
      });
  };
  let firstNegotiationStarted = false;
  const firstNegotiationObject: ObjectWatch[] = [];
  if (opts.negotiation !== false)
    for (const resource of [IMPORT_RESOURCE, NEGOTIATED_RESOURCE]) {
      const def = registry.lookup(DEFAULT_CLUSTER, APIRESOURCE_GROUP, APIRESOURCE_VERSION, resource);
      if (def) firstNegotiationObject.push(whenFirstObject(store, def, startNegotiation));
    }
  log.info(`Serving securely on ${displayHost(opts.listen.host || "0.0.0.0")}:${port}`);
  log.info(`Admin kubeconfig: ${kubeconfigPath}`);

  const stop = () => {
    stopping ??= (async () => {
      ready = false;
      // Stop accepting; let in-flight requests (writes) finish, but end watches, which never finish by themselves.
      front?.close();
      const drained = server.stop(false);
      for (const close of [...activeWatches]) close();
      namespaces.stop();
      crds.stop();
      serviceAccounts.stop();
      quotas.stop();
      await logicalClusters.stop();
      gc?.stop();
      firstCluster?.stop();
      firstCsr?.stop();
      firstDeployment?.stop();
      await (await splitterStarted)?.stop();
      for (const w of firstNegotiationObject) w.stop();
      await (await negotiationStarted)?.stop();
      await (await clusterControllerStarted)?.stop();
      await csrsStarted;
      csrs?.stop();
      policyFeed?.stop();
      core.stop();
      stopCompaction();
      // In-flight requests get 10 s; the timer must not keep a stopped process alive.
      let grace: Timer | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (grace = setTimeout(resolve, 10_000)))]);
      clearTimeout(grace);
      // Only now may the other servers stop waiting for this one's writes (replica-lease.ts).
      await logicalClusters.leave();
      // Large requests still in the offload worker after the grace fail with 503.
      stopOffload();
      // Requests are done: their events are queued; write them all.
      await audit?.close();
      await opened.close();
      await removeServerKubeconfig(kubeconfigPlan);
      log.info("kcp stopped");
    })();
    return stopping;
  };
  return { url, port, kubeconfigPath, token, caCertPem: certs.caCertPem, storage, loopback, stop };
}

/**
 * The LogicalCluster status and deletion controller, on the server that holds its Lease.
 * KCP_LOGICAL_CLUSTER_REFRESH_MS changes how often counts are measured, KCP_LOGICAL_CLUSTER_LEASE_MS
 * the lease duration (tests; docs/logical-clusters.md).
 */
function startLogicalClusterController(
  store: ObjectStore,
  registry: ResourceRegistry,
  clusters: LogicalClusters,
  loopback: ClientConfig,
  storage: StorageOptions | undefined,
): Promise<ElectedLogicalClusterController> {
  const refreshMs = Number(process.env.KCP_LOGICAL_CLUSTER_REFRESH_MS) || undefined;
  const leaseMs = Number(process.env.KCP_LOGICAL_CLUSTER_LEASE_MS) || undefined;
  // Other servers can share an etcd (the embedded one too, through its client port); not SQLite.
  const shared = storage?.backend === "etcd" || storage?.backend === "embedded-etcd";
  return startElectedLogicalClusterController(store, registry, clusters, loopback, {
    controller: { refreshMs },
    ...(leaseMs ? { election: electionTimings(leaseMs) } : {}),
    ...(shared ? { replicaLeaseMs: leaseMs ?? DEFAULT_REPLICA_LEASE_MS } : {}),
  });
}

/**
 * Calls `start` once, when the first object of `def` exists in any logical cluster (already stored
 * or created later), or when the watch ends without one (then the started controller watches for
 * itself): controllers that load code of their own wait for work before paying for it.
 */
function whenFirstObject(store: ObjectStore, def: ResourceDef, start: () => void): ObjectWatch {
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    watch.stop();
    start();
  };
  const watch: ObjectWatch = watchObjects(store, def, {
    onEvent: (ev) => {
      if (ev.type === "ADDED") queueMicrotask(fire);
    },
    onClose: () => fire(),
  });
  return watch;
}

/**
 * whenFirstObject for apps/v1 Deployments, which kcp serves only through a CRD: waits (on the
 * registry's changes) until some logical cluster serves them, then for the first object.
 */
function whenFirstDeployment(store: ObjectStore, registry: ResourceRegistry, start: () => void): { stop(): void } {
  let watch: ObjectWatch | undefined;
  let stopped = false;
  const look = () => {
    if (watch || stopped) return;
    const def = registry.lookup("*", "apps", "v1", "deployments");
    if (!def) return;
    queueMicrotask(unsubscribe);
    watch = whenFirstObject(store, def, start);
  };
  const unsubscribe = registry.onChange(look);
  look();
  return {
    stop() {
      stopped = true;
      unsubscribe();
      watch?.stop();
    },
  };
}

/** The check's answer, or false when it takes longer than `ms` (a hung backend must not hang /readyz). */
async function withDeadline(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run until SIGINT or SIGTERM, then shut down cleanly. */
export async function runServer(opts: ServerOptions): Promise<void> {
  const running = await startServer(opts);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log.info(`${sig} received, shutting down`);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      running.stop().then(resolve, (e) => {
        log.error(`shutdown: ${(e as Error).message}`);
        resolve();
      });
    };
    const onInt = () => onSignal("SIGINT");
    const onTerm = () => onSignal("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

/** The CSR signing and cleaning controllers, signing with kcp's CA (loaded only now). */
async function startCsrController(
  store: ObjectStore,
  registry: ResourceRegistry,
  certs: Credentials["certs"],
  opts: CsrControllerOptions | undefined,
): Promise<CsrController> {
  const [{ CsrController }, { X509Certificate }] = await Promise.all([
    import("../controllers/csr/csr-controller.ts"),
    import("node:crypto"),
  ]);
  const def = registry.lookup(DEFAULT_CLUSTER, "certificates.k8s.io", "v1", "certificatesigningrequests");
  if (!def) throw new Error("the certificatesigningrequests resource is not registered");
  if (!certs.caKeyPem) throw new Error("the CA key is needed to sign certificate signing requests");
  const ca = {
    certPem: certs.caCertPem,
    keyPem: certs.caKeyPem,
    notAfter: new X509Certificate(certs.caCertPem).validToDate,
  };
  return new CsrController(store, def, ca, opts);
}
