// The cluster controller: for every Cluster (cluster.example.dev) of every logical cluster, it runs
// or installs a syncer between that logical cluster and the physical cluster of spec.kubeconfig,
// and reports in status whether the syncer works.
//
//   push  the syncer runs in this process (upstream: the loopback client of the logical cluster);
//         it is restarted when the kubeconfig or the resources change and stopped on delete;
//   pull  the syncer is installed in the physical cluster (pull-manifests.ts), with a token of a
//         service account of the logical cluster; reinstalled when what it needs changes. Where it
//         was installed is recorded in kcp (install-records.ts) before anything is applied, and an
//         install elsewhere (the kubeconfig moved to another cluster, or the mode left pull) is
//         removed, retried until that cluster answers; every fresh install recreates the service
//         account, so the tokens of earlier installs stop working at once;
//   none  whoever attached the cluster runs `kcp sync`.
//
// Ready comes from the syncer's heartbeat in every mode (a Lease kcp-system/kcp-syncer-<name> of the
// logical cluster, renewed by the syncer wherever it runs): True while fresh and the syncer says
// "ok"; False/SyncerNotReady with the syncer's own message when it complains (e.g. it cannot reach
// the physical cluster), or "no heartbeat from the syncer for 42s" once older than the timeout.
// The seed called push syncers Ready once started, even after they had died.
//
// Deleting a Cluster: a finalizer holds the object while its syncer is stopped, what pull mode
// installed is removed, and the syncer's service account and heartbeat in kcp are deleted. Synced
// workloads stay in the physical cluster: removing a cluster from kcp must not take down what runs
// there.
//
// The API importer (api-importer.ts) keeps, per Cluster and whatever its mode, an APIResourceImport
// of each requested resource kcp does not serve natively, pulled from the physical cluster. The
// syncer gets only the requested resources kcp serves natively or whose import is Compatible and
// Available (api-gating.ts); the set follows the imports' conditions. While some wait, Ready is
// False/APIsNotNegotiated naming them; with none to sync, no syncer runs (nor is installed).
//
// One informer over the store follows the Clusters of all logical clusters, another the heartbeat
// Leases (namespace kcp-system of all logical clusters, trimmed to what is read), a third the
// APIResourceImports (summarised: no schemas).

import {
  CLUSTER_GROUP,
  CLUSTER_RESOURCE,
  CLUSTER_VERSION,
  type ClusterCondition,
  ClusterReason,
  type ClusterSpec,
  type ClusterStatus,
  SYNCER_MODES,
  type SyncerMode,
} from "../../apis/builtin/cluster.ts";
import { APIRESOURCE_GROUP, APIRESOURCE_VERSION, IMPORT_RESOURCE } from "../../apis/builtin/apiresource.ts";
import { DEFAULT_CLUSTER } from "../../apis/logical-clusters.ts";
import { deepEqual } from "../../apis/object-codec.ts";
import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { log } from "../../log.ts";
import { isObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { heartbeatLeaseName } from "../syncer/heartbeat.ts";
import { type Gate, gateResources, waitingMessage } from "./api-gating.ts";
import { ApiImporter, type CrdPulling, importSummary } from "./api-importer.ts";
import { readInstallRecord, writeInstallRecord } from "./install-records.ts";
import { deleteManifest, type KubeRequester, type Manifest, applyManifest } from "./kube-requests.ts";
import { parseGroupResource, pullManifests, syncerId, syncerInstallName } from "./pull-manifests.ts";
import { describeSyncerPods } from "./syncer-pod-status.ts";
import {
  brief,
  findCondition,
  type Heartbeat,
  READY,
  readinessFromHeartbeat,
  rfc3339,
  SYNCED_RESOURCES_ANNOTATION,
  SYNCER_STATUS_ANNOTATION,
  setCondition,
} from "./ready-condition.ts";
import {
  type KcpEndpoint,
  mintSyncerToken,
  removeSyncerServiceAccount,
  type SyncerCredential,
  syncerServiceAccountUid,
  SYNCER_NAMESPACE_IN_KCP,
  syncerKubeconfig,
  syncerServiceAccountName,
} from "./syncer-credentials.ts";

/** Holds a Cluster until its syncer is stopped and what pull mode installed is removed. */
export const CLUSTER_FINALIZER = "cluster.example.dev/syncer-cleanup";

export { heartbeatLeaseName };

const SYSTEM_USER = { username: "system:kcp:cluster-controller", groups: ["system:masters"] };
/** Pull mode is re-applied this often, so an installed syncer someone deleted comes back. */
const PULL_RECHECK_MS = 60_000;
/** How long a deleted Cluster waits for the physical cluster to let its syncer be removed. */
const CLEANUP_GIVE_UP_MS = 60_000;
/** How long stop() waits for reconciles under way. */
const STOP_WAIT_MS = 10_000;
/** How soon removing an install from a cluster that did not answer is tried again. */
const STALE_RETRY_MS = 10_000;
/** How often the API importer pulls a Cluster's resources again (the seed's minute). */
const IMPORT_INTERVAL_MS = 60_000;
/** The informer index of imports by Cluster key (`<logical cluster>|<spec.location>`). */
const BY_LOCATION = "location";

/** A syncer running in this process (the syncer's startSyncer result, as far as it is used here). */
export interface RunningSyncer {
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

export interface StartSyncerOptions<C> {
  upstream: C;
  downstream: C;
  clusterName: string;
  logicalCluster: string;
  resources: string[];
}

export interface ClusterControllerOptions {
  /** The mode of Clusters that name none. */
  defaultMode: SyncerMode;
  /** The resources of Clusters that name none (GR strings). */
  defaultResources: string[];
  /** A heartbeat older than this makes a Cluster not Ready. */
  heartbeatTimeoutMs: number;
  /** The image of pull-mode syncers. */
  syncerImage: string;
  /** How often pull-mode syncers renew their heartbeat (`kcp sync --heartbeat-interval`); absent: its default. */
  syncerHeartbeatIntervalMs?: number;
  /** kcp as pull-mode syncers reach it. */
  kcp: KcpEndpoint;
  /** How soon removing a pull install from a cluster that did not answer is retried (default 10 s). */
  staleRetryMs?: number;
  /** How often an installed pull syncer is applied again (default 60 s). */
  pullRecheckMs?: number;
  /** How often the API importer pulls a Cluster's resources again (default 60 s). */
  importIntervalMs?: number;
}

/** How the controller reaches clusters, given by the composition root (controllers do not import app/). */
export interface ClusterControllerDeps<C extends KubeRequester> {
  store: ObjectStore;
  registry: ResourceRegistry;
  /** spec.kubeconfig → a client configuration; throws an Error for people when invalid. */
  parseKubeconfig(text: string): Promise<unknown>;
  /**
   * A client for a configuration parseKubeconfig returned; throws when it cannot be built. For a
   * push syncer ("syncer"), or for the controller's own requests ("controller": pull installs and
   * their removal, which should fail fast when the cluster does not answer).
   */
  clientFor(config: unknown, use: "syncer" | "controller"): C;
  /** The physical cluster a configuration reaches (its server and CA, not its credential), as an id usable as a Secret key. */
  targetOf(config: unknown): string;
  /** The in-process client of a logical cluster of this kcp. */
  upstreamFor(logicalCluster: string): C;
  /** Starts a syncer in this process (push mode). */
  startSyncer(opts: StartSyncerOptions<C>): RunningSyncer;
  /**
   * A CRD puller (src/controllers/crd-puller/crd-puller.ts) over a "controller" client of a physical
   * cluster; it skips what kcp serves natively.
   */
  newCrdPuller(
    client: C,
    opts: { servedNatively(group: string, version: string, resource: string): boolean },
  ): CrdPulling;
}

/** What runs (or was installed) for one Cluster, and the inputs it was made from. */
interface Runner<C> {
  mode: SyncerMode;
  /** The physical cluster's client it was made with. */
  downstream: C;
  /** The mode, kubeconfig and resources it was started or installed with. */
  fingerprint: string;
  kubeconfig: string;
  /** Pull mode: the physical cluster it was installed in (targetOf). */
  target?: string;
  syncer?: RunningSyncer;
  /** Pull mode: the manifests installed, for removal. */
  installed?: Manifest[];
  installedAt?: number;
  /** Pull mode: the token's service account uid, and when to mint a new one (80 % of its life). */
  credential?: { serviceAccountUid: string; refreshAt: number };
}

interface Desired {
  mode: SyncerMode;
  resources: string[];
  kubeconfig: string;
}

/** A Cluster's key: `<logical cluster>|<name>` (names contain neither `|` nor `/`). */
function keyOf(cluster: string, name: string): string {
  return `${cluster}|${name}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("|");
  return [key.slice(0, i), key.slice(i + 1)];
}

function renewTimeOf(lease: KObject): string | undefined {
  const spec = isObject(lease.spec) ? lease.spec : {};
  return typeof spec.renewTime === "string" ? spec.renewTime : undefined;
}

/** The heartbeat of a Lease; `renewed`: when this process saw its renewTime last change (its own clock). */
function heartbeatOf(lease: KObject | undefined, renewed: number | undefined): Heartbeat | undefined {
  if (!lease) return undefined;
  const ann = lease.metadata.annotations ?? {};
  const synced = ann[SYNCED_RESOURCES_ANNOTATION];
  return {
    ...(renewed !== undefined && Number.isFinite(renewed) ? { renewedAt: renewed } : {}),
    ...(ann[SYNCER_STATUS_ANNOTATION] !== undefined ? { status: ann[SYNCER_STATUS_ANNOTATION] } : {}),
    ...(synced !== undefined ? { syncedResources: synced.split(",").filter((s) => s !== "") } : {}),
  };
}

/** What the lease cache keeps: the heartbeat's fields. */
function leaseSummary(lease: KObject): KObject {
  const ann = lease.metadata.annotations ?? {};
  const kept: Record<string, string> = {};
  for (const k of [SYNCER_STATUS_ANNOTATION, SYNCED_RESOURCES_ANNOTATION]) if (ann[k] !== undefined) kept[k] = ann[k];
  const spec = isObject(lease.spec) ? lease.spec : {};
  return {
    apiVersion: lease.apiVersion,
    kind: lease.kind,
    metadata: { name: lease.metadata.name, namespace: lease.metadata.namespace, annotations: kept },
    spec: { renewTime: spec.renewTime },
  };
}

/** How long to wait before installing again after `failures` failed installs in a row: 1 s doubling, capped. */
export function installRetryDelayMs(failures: number, capMs: number): number {
  return Math.min(capMs, 1000 * 2 ** Math.min(Math.max(0, failures - 1), 20));
}

export class ClusterController<C extends KubeRequester> {
  private readonly clusterDef: ResourceDef;
  private readonly clusters: Informer;
  private readonly leases: Informer;
  private readonly imports: Informer;
  private readonly importer: ApiImporter;
  private readonly runners = new Map<string, Runner<C>>();
  /** First pull installs that failed: how often in a row, and not to be tried again before when. */
  private readonly installFailures = new Map<string, { failures: number; notBefore: number }>();
  /** Per Cluster: the heartbeat's renewTime last seen, and when (this process's clock). */
  private readonly renewalsSeen = new Map<string, { renewTime: string; seenAt: number }>();
  /** The install records (install-records.ts) read so far, kept current as they are written. */
  private readonly installs = new Map<string, Map<string, string>>();
  private readonly rechecks = new Map<string, ReturnType<typeof setTimeout>>();
  // Clusters are reconciled in parallel (one is never worked on twice at once): a slow physical cluster does not hold up the others.
  private readonly work = new WorkQueue<string>("cluster controller", (key) => this.tracked(key), { workers: 4 });
  /** Reconciles under way: stop() waits for them (briefly), so none starts a syncer after it. */
  private readonly inflight = new Set<Promise<boolean>>();
  private stopped = false;

  constructor(
    private readonly deps: ClusterControllerDeps<C>,
    private readonly opts: ClusterControllerOptions,
  ) {
    const clusterDef = deps.registry.lookup(DEFAULT_CLUSTER, CLUSTER_GROUP, CLUSTER_VERSION, CLUSTER_RESOURCE);
    const leaseDef = deps.registry.lookup(DEFAULT_CLUSTER, "coordination.k8s.io", "v1", "leases");
    const importDef = deps.registry.lookup(DEFAULT_CLUSTER, APIRESOURCE_GROUP, APIRESOURCE_VERSION, IMPORT_RESOURCE);
    if (!clusterDef || !leaseDef || !importDef)
      throw new Error("the clusters, leases and apiresourceimports resources must be registered");
    this.clusterDef = clusterDef;
    const enqueue = (obj: KObject, cluster: string) => this.work.add(keyOf(cluster, obj.metadata.name ?? ""));
    this.clusters = new Informer(deps.store, clusterDef, {
      name: "cluster controller: clusters",
      onAdd: enqueue,
      onUpdate: (_old, obj, cluster) => enqueue(obj, cluster),
      onDelete: enqueue,
    });
    const prefix = heartbeatLeaseName("");
    const leaseChanged = (lease: KObject, cluster: string, deleted = false) => {
      const name = lease.metadata.name ?? "";
      if (!name.startsWith(prefix)) return;
      const key = keyOf(cluster, name.slice(prefix.length));
      if (deleted) this.renewalsSeen.delete(key);
      else this.noteRenewal(key, lease);
      this.work.add(key);
    };
    this.leases = new Informer(deps.store, leaseDef, {
      name: "cluster controller: syncer heartbeats",
      namespace: SYNCER_NAMESPACE_IN_KCP,
      transform: leaseSummary,
      onAdd: leaseChanged,
      onUpdate: (_old, lease, cluster) => leaseChanged(lease, cluster),
      onDelete: (lease, cluster) => leaseChanged(lease, cluster, true),
    });
    // An import's conditions decide what its Cluster's syncer gets: any change looks at the Cluster again.
    const locationOf = (obj: KObject) => {
      const spec = isObject(obj.spec) ? obj.spec : {};
      return typeof spec.location === "string" ? spec.location : undefined;
    };
    const importChanged = (obj: KObject, cluster: string) => {
      const location = locationOf(obj);
      if (location) this.work.add(keyOf(cluster, location));
    };
    this.imports = new Informer(deps.store, importDef, {
      name: "cluster controller: API imports",
      transform: importSummary,
      onAdd: importChanged,
      onUpdate: (old, obj, cluster) => {
        if (locationOf(old) !== locationOf(obj)) importChanged(old, cluster);
        importChanged(obj, cluster);
      },
      onDelete: importChanged,
    });
    this.imports.addIndex(BY_LOCATION, (obj, cluster) => {
      const location = locationOf(obj);
      return location ? [keyOf(cluster, location)] : [];
    });
    this.importer = new ApiImporter({
      store: deps.store,
      importDef,
      cluster: (lc, name) => this.clusters.get(undefined, name, lc),
      importsOf: (lc, name) => this.imports.byIndex(BY_LOCATION, keyOf(lc, name)),
      toImport: (lc, obj) => {
        const spec = (isObject(obj.spec) ? obj.spec : {}) as unknown as ClusterSpec;
        return this.desired(spec).resources.filter((gr) => {
          const { group, resource } = parseGroupResource(gr);
          return !this.native(lc, group, resource);
        });
      },
      servedNatively: (lc, group, _version, resource) => this.native(lc, group, resource),
      changed: (lc, name) => this.work.add(keyOf(lc, name)),
      intervalMs: opts.importIntervalMs ?? IMPORT_INTERVAL_MS,
    });
  }

  /**
   * Whether kcp serves a group's resource itself (a built-in kind, in any version): synced without
   * an import. A resource served from a CRD (the workload CRDs included) is negotiated.
   */
  private native(lc: string, group: string, resource: string): boolean {
    return this.deps.registry
      .resources(lc)
      .some((d) => d.source === "builtin" && d.group === group && d.plural === resource);
  }

  /** What the syncer of Cluster `lc|name` may sync of `requested`, and what waits. */
  private gate(lc: string, name: string, requested: readonly string[]): Gate {
    return gateResources({
      requested,
      native: (group, resource) => this.native(lc, group, resource),
      imports: this.imports.byIndex(BY_LOCATION, keyOf(lc, name)),
      skipped: this.importer.skipped(lc, name),
    });
  }

  /**
   * Notes when this process saw a heartbeat's renewTime change. Readiness is the age of that on
   * our own clock: the renewTime is written on the syncer's clock, which may be off (a syncer
   * minutes ahead looked fresh long after it died; one behind never looked fresh). The first
   * sight (a kcp restart, a new leader) takes the renewTime itself unless it lies in our future:
   * a Lease left by a dead syncer must not look fresh.
   */
  private noteRenewal(key: string, lease: KObject): void {
    const renewTime = renewTimeOf(lease);
    if (renewTime === undefined) {
      this.renewalsSeen.delete(key);
      return;
    }
    const prev = this.renewalsSeen.get(key);
    if (prev?.renewTime === renewTime) return;
    const now = Date.now();
    const written = Date.parse(renewTime);
    const seenAt = prev || !Number.isFinite(written) ? now : Math.min(now, written);
    this.renewalsSeen.set(key, { renewTime, seenAt });
  }

  async start(): Promise<void> {
    await this.leases.start();
    // The imports first: a Cluster's first reconcile must see them, or its syncer would start without them.
    await this.imports.start();
    await this.clusters.start();
  }

  /**
   * Stops the informers and every syncer running in this process (pull-mode installs stay). Waits
   * for reconciles under way, at most STOP_WAIT_MS (one may be waiting on a cluster that does not
   * answer); whatever they do after stop() starts no syncer.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.work.stop();
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    this.clusters.stop();
    this.leases.stop();
    this.imports.stop();
    await this.importer.stopAll(STOP_WAIT_MS);
    let waited: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise<void>((resolve) => (waited = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(waited);
    const running = [...this.runners.values()].map((r) => r.syncer?.stop());
    this.runners.clear();
    await Promise.allSettled(running);
  }

  private tracked(key: string): Promise<boolean> {
    const p = this.reconcile(key);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** The number of syncers running in this process (for tests and the bench). */
  runningSyncers(): number {
    let n = 0;
    for (const r of this.runners.values()) if (r.syncer) n++;
    return n;
  }

  private ctx(cluster: string): RequestContext {
    return { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  private desired(spec: ClusterSpec): Desired {
    const mode = spec.mode && SYNCER_MODES.includes(spec.mode) ? spec.mode : this.opts.defaultMode;
    const resources = [...new Set(spec.resources?.length ? spec.resources : this.opts.defaultResources)].sort();
    return { mode, resources, kubeconfig: spec.kubeconfig };
  }

  /** Returns true when done; false (or a throw) to retry with backoff. */
  private async reconcile(key: string): Promise<boolean> {
    if (this.stopped) return true;
    const [lc, name] = splitKey(key);
    const obj = this.clusters.get(undefined, name, lc);
    if (!obj) {
      // Gone (after our finalizer, or without it when it was removed by hand): stop what runs here.
      clearTimeout(this.rechecks.get(key));
      this.rechecks.delete(key);
      this.installs.delete(key);
      this.installFailures.delete(key);
      this.importer.stop(lc, name);
      await this.stopRunner(key);
      return true;
    }
    if (obj.metadata.deletionTimestamp) return this.finalize(lc, name, obj);
    if (!obj.metadata.finalizers?.includes(CLUSTER_FINALIZER)) {
      await this.deps.store.update(this.clusterDef, this.ctx(lc), undefined, name, (cur) => {
        cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []), CLUSTER_FINALIZER];
        delete cur.metadata.resourceVersion;
        return cur;
      });
      return true; // the update brings the object back through the informer
    }
    const spec = (isObject(obj.spec) ? obj.spec : {}) as unknown as ClusterSpec;
    const want = this.desired(spec);

    // 1. The kubeconfig, and a client from it.
    let config: unknown;
    try {
      config = await this.deps.parseKubeconfig(want.kubeconfig);
    } catch (e) {
      this.importer.stop(lc, name);
      await this.stopRunner(key);
      await this.writeStatus(lc, name, obj, {
        reason: ClusterReason.InvalidKubeConfig,
        message: `Invalid kubeconfig: ${brief((e as Error).message)}`,
      });
      return true; // nothing to retry until the spec changes
    }
    let downstream: C;
    try {
      downstream = this.deps.clientFor(config, want.mode === "push" ? "syncer" : "controller");
    } catch (e) {
      this.importer.stop(lc, name);
      await this.stopRunner(key);
      await this.writeStatus(lc, name, obj, {
        reason: ClusterReason.ErrorCreatingClient,
        message: `Error creating client from kubeconfig: ${brief((e as Error).message)}`,
      });
      return true;
    }

    // 2. The API importer, whatever the mode; its puller's client is made per pass (with the
    // controller's short timeout), so one that cannot be built is a failed pull, retried.
    this.importer.ensure(lc, name, want.kubeconfig, want.resources, () =>
      this.deps.newCrdPuller(this.deps.clientFor(config, "controller"), {
        servedNatively: (group, _version, resource) => this.native(lc, group, resource),
      }),
    );

    // 3. What the syncer gets: the requested resources kcp serves natively or that are negotiated.
    // With none, no syncer runs (or stays installed): there is nothing for it to do.
    const gate = this.gate(lc, name, want.resources);
    const sync: Desired = { ...want, resources: gate.synced };
    const syncerless = want.mode !== "none" && sync.resources.length === 0;
    const fingerprint = JSON.stringify([want.mode, want.kubeconfig, sync.resources]);

    // 4. The syncer, per mode.
    const target = this.deps.targetOf(config);
    const runner = this.runners.get(key);
    // Changed inputs: stop the old syncer. A pull install in the same cluster is updated in place;
    // one elsewhere is removed below, from its record.
    if (runner && runner.fingerprint !== fingerprint) await this.stopRunner(key);
    let recheckMs: number | undefined;
    if (syncerless) {
      // Nothing runs here; a pull install is removed below.
    } else if (want.mode === "push" && !this.runners.get(key)?.syncer) {
      // Stopped while this reconcile awaited: a syncer started now would outlive the controller.
      if (this.stopped) return true;
      try {
        const syncer = this.deps.startSyncer({
          upstream: this.deps.upstreamFor(lc),
          downstream,
          clusterName: name,
          logicalCluster: lc,
          resources: sync.resources,
        });
        syncer.started.catch((e) => log.warn(`cluster controller: ${lc}|${name}: syncer: ${(e as Error).message}`));
        this.runners.set(key, { mode: "push", downstream, fingerprint, kubeconfig: want.kubeconfig, syncer });
        log.info(`cluster controller: started the syncer of cluster ${name} in logical cluster ${lc}`);
      } catch (e) {
        await this.writeStatus(lc, name, obj, {
          reason: ClusterReason.ErrorStartingSyncer,
          message: `Error starting syncer: ${brief((e as Error).message)}`,
        });
        return false;
      }
    } else if (want.mode === "pull") {
      let current = this.runners.get(key);
      const recheckEvery = this.opts.pullRecheckMs ?? PULL_RECHECK_MS;
      if (
        current?.installed &&
        Date.now() - (current.installedAt ?? 0) >= recheckEvery &&
        (await this.credentialStale(lc, name, current))
      ) {
        // The syncer's token is dead (its service account was deleted or recreated) or near its
        // expiry: install afresh, in place, with a new one.
        log.info(`cluster controller: cluster ${name} (logical cluster ${lc}): a new token for its syncer`);
        this.runners.delete(key);
        current = undefined;
      }
      if (current?.installed) {
        if (Date.now() - (current.installedAt ?? 0) >= recheckEvery) {
          // A re-check applies the same manifests again (no new token, so the pod does not roll). When
          // it fails the syncer that runs there is not less ready: its heartbeat says how it is.
          current.installedAt = Date.now();
          try {
            await this.reapply(current.installed, downstream);
          } catch (e) {
            log.warn(
              `cluster controller: cluster ${name} (logical cluster ${lc}): re-applying its syncer failed (tried again in ${Math.round(recheckEvery / 1000)}s): ${(e as Error).message}`,
            );
          }
        }
      } else if (Date.now() < (this.installFailures.get(key)?.notBefore ?? 0)) {
        // Backing off after failed installs: heartbeats and other events (our own status write)
        // neither retry sooner nor replace the status that says why it failed.
        this.recheckLater(key, (this.installFailures.get(key)?.notBefore ?? 0) - Date.now());
        return true;
      } else {
        try {
          const { manifests: installed, credential } = await this.installPull(lc, name, sync, downstream, target);
          this.installFailures.delete(key);
          const now = Date.now();
          this.runners.set(key, {
            mode: "pull",
            downstream,
            fingerprint,
            kubeconfig: want.kubeconfig,
            target,
            installed,
            installedAt: now,
            credential: {
              serviceAccountUid: credential.serviceAccountUid,
              refreshAt: now + 0.8 * Math.max(0, credential.expiresAt - now),
            },
          });
        } catch (e) {
          // Retried after 1 s, 2 s, 4 s … up to the re-check interval: a cluster that does not
          // answer must not keep the controller's workers busy with attempts that time out.
          const failures = (this.installFailures.get(key)?.failures ?? 0) + 1;
          const delay = installRetryDelayMs(failures, recheckEvery);
          this.installFailures.set(key, { failures, notBefore: Date.now() + delay });
          await this.writeStatus(lc, name, obj, {
            reason: ClusterReason.ErrorInstallingSyncer,
            message: `Error installing syncer: ${brief((e as Error).message)}`,
          });
          this.recheckLater(key, delay);
          return true;
        }
      }
      // The next re-check (or install attempt) when it is due: heartbeats reconcile in between and
      // must not postpone it.
      const installedAt = this.runners.get(key)?.installedAt;
      const due = installedAt !== undefined ? installedAt + recheckEvery : this.installFailures.get(key)?.notBefore;
      recheckMs = Math.max(10, (due ?? Date.now() + recheckEvery) - Date.now());
    } else if (want.mode === "none") {
      this.runners.set(key, { mode: "none", downstream, fingerprint, kubeconfig: want.kubeconfig });
    }
    // Pull installs anywhere but here (or anywhere, out of pull mode) go; a cluster that does not
    // answer keeps its record and is tried again soon.
    if (await this.removeStaleInstalls(lc, name, want.mode === "pull" && !syncerless ? target : undefined))
      recheckMs = Math.min(recheckMs ?? Number.POSITIVE_INFINITY, this.opts.staleRetryMs ?? STALE_RETRY_MS);

    // 5. Ready from the heartbeat, and the APIs.
    if (syncerless) {
      await this.writeStatus(
        lc,
        name,
        obj,
        { reason: ClusterReason.APIsNotNegotiated, message: brief(waitingMessage(gate.waiting)) },
        undefined,
        [],
      );
      if (recheckMs !== undefined) this.recheckLater(key, recheckMs);
      return true;
    }
    const lease = this.leases.get(SYNCER_NAMESPACE_IN_KCP, heartbeatLeaseName(name), lc);
    if (lease) this.noteRenewal(key, lease);
    const hb = heartbeatOf(lease, this.renewalsSeen.get(key)?.seenAt);
    const readiness = readinessFromHeartbeat(hb, this.opts.heartbeatTimeoutMs, Date.now());
    const pulled = this.runners.get(key);
    const heard = hb?.renewedAt !== undefined && Date.now() - hb.renewedAt <= this.opts.heartbeatTimeoutMs;
    if (pulled?.installed && !heard) {
      // Nothing heard from the installed syncer: say what its pods say (image pull, crash loop …).
      const pods = await describeSyncerPods(pulled.downstream, syncerInstallName(lc, name), syncerId(lc, name)).catch(
        (e: Error) => `cannot read the syncer's pods: ${e.message.slice(0, 160)}`,
      );
      readiness.condition = { ...readiness.condition, message: `${readiness.condition.message}; ${pods}` };
    }
    if (gate.waiting.length > 0) {
      // The syncer works, but not with everything asked for; one that does not work says so
      // first (its reason), the APIs after.
      const waiting = waitingMessage(gate.waiting);
      readiness.condition =
        readiness.condition.status === "True"
          ? {
              ...readiness.condition,
              status: "False",
              reason: ClusterReason.APIsNotNegotiated,
              message: brief(waiting),
            }
          : { ...readiness.condition, message: brief(`${readiness.condition.message}; ${waiting}`) };
    }
    await this.writeStatus(lc, name, obj, readiness.condition, hb);
    const next = Math.min(readiness.recheckInMs ?? Number.POSITIVE_INFINITY, recheckMs ?? Number.POSITIVE_INFINITY);
    if (Number.isFinite(next)) this.recheckLater(key, next);
    return true;
  }

  /** One pending re-check per Cluster (each heartbeat renewal reconciles; their timers must not pile up). */
  private recheckLater(key: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.rechecks.get(key));
    const timer = setTimeout(() => {
      this.rechecks.delete(key);
      this.work.add(key);
    }, delayMs);
    this.rechecks.set(key, timer);
  }

  /** Writes the Ready condition (and heartbeat fields) when they differ from what is stored. */
  private async writeStatus(
    lc: string,
    name: string,
    obj: KObject,
    ready: Pick<ClusterCondition, "reason" | "message"> & { status?: ClusterCondition["status"] },
    hb?: Heartbeat,
    /** What the syncer syncs when no heartbeat says (none runs). */
    synced?: string[],
  ): Promise<void> {
    const old = (isObject(obj.status) ? obj.status : {}) as ClusterStatus;
    const now = new Date();
    const status: ClusterStatus = {
      ...old,
      conditions: setCondition(old.conditions, { type: READY, status: ready.status ?? "False", ...ready }, now),
    };
    if (hb?.syncedResources) status.syncedResources = [...hb.syncedResources].sort();
    else if (synced) status.syncedResources = [...synced].sort();
    if (hb?.renewedAt !== undefined) {
      // The heartbeat time is written when it moves by more than a third of the timeout, or with any
      // other change: not one status write per renewal of every syncer.
      const renewed = rfc3339(new Date(hb.renewedAt));
      const prev = old.lastSyncerHeartbeatTime ? Date.parse(old.lastSyncerHeartbeatTime) : 0;
      if (hb.renewedAt - prev > this.opts.heartbeatTimeoutMs / 3) status.lastSyncerHeartbeatTime = renewed;
    }
    if (deepEqual(old, status)) return;
    try {
      await this.deps.store.update(
        this.clusterDef,
        this.ctx(lc),
        undefined,
        name,
        (cur) => {
          const curStatus = (isObject(cur.status) ? cur.status : {}) as ClusterStatus;
          cur.status = {
            ...curStatus,
            ...status,
            conditions: setCondition(
              curStatus.conditions,
              findCondition(status.conditions, READY) as ClusterCondition,
              now,
            ),
          };
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
  }

  /** The install record of a Cluster, read from kcp once per controller. */
  private async installRecord(lc: string, name: string): Promise<Map<string, string>> {
    const key = keyOf(lc, name);
    let record = this.installs.get(key);
    if (!record) {
      record = await readInstallRecord(this.deps.upstreamFor(lc), name);
      this.installs.set(key, record);
    }
    return record;
  }

  /**
   * Removes the recorded pull installs except the one in `keep`; out of pull mode (`keep`
   * undefined) it first deletes the syncer's service account, so their tokens die even where the
   * removal fails. Returns true when some remain (their cluster did not answer).
   */
  private async removeStaleInstalls(lc: string, name: string, keep: string | undefined): Promise<boolean> {
    const record = await this.installRecord(lc, name);
    const stale = [...record.keys()].filter((t) => t !== keep);
    if (stale.length === 0) return false;
    const upstream = this.deps.upstreamFor(lc);
    if (keep === undefined) await removeSyncerServiceAccount(upstream, name);
    let remaining = false;
    for (const t of stale) {
      try {
        await this.uninstallFrom(lc, name, record.get(t) ?? "");
        record.delete(t);
        await writeInstallRecord(upstream, name, record);
        log.info(
          `cluster controller: removed an earlier install of the syncer of cluster ${name} (logical cluster ${lc})`,
        );
      } catch (e) {
        remaining = true;
        log.warn(
          `cluster controller: cluster ${name} (logical cluster ${lc}): cannot yet remove the syncer installed earlier in another cluster: ${(e as Error).message}`,
        );
      }
    }
    return remaining;
  }

  /** Removes the pull install (by its derived names) from the cluster `kubeconfig` reaches. */
  private async uninstallFrom(lc: string, name: string, kubeconfig: string): Promise<void> {
    let client: C;
    try {
      client = this.deps.clientFor(await this.deps.parseKubeconfig(kubeconfig), "controller");
    } catch (e) {
      // A kubeconfig that does not parse never will: nothing can be removed with it.
      log.warn(
        `cluster controller: cluster ${name} (logical cluster ${lc}): forgetting an install: ${(e as Error).message}`,
      );
      return;
    }
    await this.uninstall(
      pullManifests({ logicalCluster: lc, clusterName: name, resources: [], image: "", kcpKubeconfig: "" }),
      client,
    );
  }

  private async installPull(
    lc: string,
    name: string,
    want: Desired,
    downstream: C,
    target: string,
  ): Promise<{ manifests: Manifest[]; credential: SyncerCredential }> {
    const upstream = this.deps.upstreamFor(lc);
    // Recorded before anything is applied: an install is never forgotten, even half done.
    const record = await this.installRecord(lc, name);
    if (record.get(target) !== want.kubeconfig) {
      record.set(target, want.kubeconfig);
      await writeInstallRecord(upstream, name, record);
    }
    // A new service account (a new uid): tokens given to earlier installs stop working.
    await removeSyncerServiceAccount(upstream, name);
    const credential = await mintSyncerToken(upstream, name, want.resources);
    const manifests = pullManifests({
      logicalCluster: lc,
      clusterName: name,
      resources: want.resources,
      image: this.opts.syncerImage,
      kcpKubeconfig: syncerKubeconfig(this.opts.kcp, lc, name, credential.token),
      ...(this.opts.syncerHeartbeatIntervalMs !== undefined
        ? { heartbeatIntervalMs: this.opts.syncerHeartbeatIntervalMs }
        : {}),
    });
    for (const m of manifests) await applyManifest(downstream, m);
    log.info(`cluster controller: installed the syncer of cluster ${name} (logical cluster ${lc}) in its cluster`);
    return { manifests, credential };
  }

  /** Whether an installed syncer's token is near its expiry, or dead with its service account. */
  private async credentialStale(lc: string, name: string, runner: Runner<C>): Promise<boolean> {
    const c = runner.credential;
    if (!c) return false;
    if (Date.now() >= c.refreshAt) return true;
    try {
      return (await syncerServiceAccountUid(this.deps.upstreamFor(lc), name)) !== c.serviceAccountUid;
    } catch {
      return false; // kcp's own loopback failing: decided at the next re-check
    }
  }

  private async reapply(manifests: Manifest[], downstream: C): Promise<Manifest[]> {
    for (const m of manifests) await applyManifest(downstream, m);
    return manifests;
  }

  /** Stops a push syncer and forgets what runs for `key` (pull installs stay, in their record). */
  private async stopRunner(key: string): Promise<void> {
    const runner = this.runners.get(key);
    if (!runner) return;
    this.runners.delete(key);
    if (runner.syncer) {
      await runner.syncer.stop().catch((e) => log.warn(`cluster controller: ${key}: stopping the syncer: ${e}`));
      log.info(`cluster controller: stopped the syncer of ${key}`);
    }
  }

  private async uninstall(manifests: Manifest[], downstream: C): Promise<void> {
    // Cluster-scoped objects first (the namespace takes its contents with it).
    const order = [...manifests].reverse().filter((m) => !m.metadata.namespace);
    for (const m of order) await deleteManifest(downstream, m);
  }

  /** A Cluster being deleted: stop and remove its syncer, then release the finalizer. */
  private async finalize(lc: string, name: string, obj: KObject): Promise<boolean> {
    const key = keyOf(lc, name);
    this.importer.stop(lc, name);
    if (!obj.metadata.finalizers?.includes(CLUSTER_FINALIZER)) {
      await this.stopRunner(key);
      await this.importer.deleteImports(lc, name);
      return true;
    }
    const spec = (isObject(obj.spec) ? obj.spec : {}) as unknown as ClusterSpec;
    const want = this.desired(spec);
    await this.stopRunner(key);
    const upstream = this.deps.upstreamFor(lc);
    // Every recorded install, and the current cluster's in pull mode (an install from before
    // records were kept): the names are derived, so removal needs nothing else.
    const record = await this.installRecord(lc, name);
    const targets = new Map(record);
    if (want.mode === "pull") {
      try {
        targets.set(this.deps.targetOf(await this.deps.parseKubeconfig(want.kubeconfig)), want.kubeconfig);
      } catch {
        // An invalid kubeconfig reaches no cluster: nothing to remove with it.
      }
    }
    let failure: Error | undefined;
    for (const [target, kubeconfig] of targets) {
      try {
        await this.uninstallFrom(lc, name, kubeconfig);
        record.delete(target);
      } catch (e) {
        failure = e as Error;
      }
    }
    if (failure) {
      await writeInstallRecord(upstream, name, record);
      const since = Date.now() - Date.parse(obj.metadata.deletionTimestamp ?? "");
      if (since < CLEANUP_GIVE_UP_MS) throw failure;
      log.warn(
        `cluster controller: cluster ${name} (logical cluster ${lc}): giving up removing its syncer from the physical cluster: ${failure.message}`,
      );
    }
    await writeInstallRecord(upstream, name, new Map());
    this.installs.delete(key);
    // Its imports go with it (their owner reference would have the garbage collector remove them
    // too, but the negotiated APIs should not wait for that).
    await this.importer.deleteImports(lc, name);
    await removeSyncerServiceAccount(upstream, name);
    await deleteManifest(upstream, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: heartbeatLeaseName(name), namespace: SYNCER_NAMESPACE_IN_KCP },
    }).catch(() => {});
    await this.deps.store.update(this.clusterDef, this.ctx(lc), undefined, name, (cur) => {
      cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== CLUSTER_FINALIZER);
      delete cur.metadata.resourceVersion;
      return cur;
    });
    log.info(`cluster controller: cluster ${name} of logical cluster ${lc} removed`);
    return true;
  }
}

export { syncerServiceAccountName };
