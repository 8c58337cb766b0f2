// The syncer: keeps a physical cluster in step with the objects of one kcp logical cluster that
// are labelled kcp.dev/cluster=<clusterName> — spec down (spec-down.ts), status up
// (status-up.ts), a heartbeat Lease in kcp (heartbeat.ts). `kcp sync` runs one; the cluster
// controller runs one per Cluster in push mode.
//
// Per resource type it keeps two informers, both selecting the label: kcp's objects for this
// cluster, and downstream the copies (the label travels with them). Every event queues the key in
// both directions; the workers compare the two caches, so what they do never depends on which
// event came or was missed. At start both sides' first lists are in the caches before any key is
// worked on, and every key of either list is queued: copies whose kcp object went away while the
// syncer was not running are deleted, and nothing is created twice.
//
// Resource types: discovery in kcp resolves the requested names; while any is missing (a CRD not
// created yet) or not served downstream, discovery is read again every few seconds, and at once
// when a CRD in kcp changes, and new types start syncing without a restart.

import { DiscoveryClient } from "../../client/discovery-client.ts";
import { DynamicClient } from "../../client/dynamic-client.ts";
import { Informer, remoteSource } from "../../client/informer.ts";
import type { RestClient } from "../../client/rest-client.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { log } from "../../log.ts";
import { isStatusError } from "../../machinery/status.ts";
import { DownstreamNamespaces } from "./downstream-namespaces.ts";
import { forCache } from "./downstream-object.ts";
import { Heartbeat } from "./heartbeat.ts";
import { CLUSTER_LABEL, SYNCER_STATUS_STARTING } from "./labels.ts";
import { type DiscoveryResult, discoverResources, type SyncedResource } from "./resource-discovery.ts";
import { FIELD_MANAGER, type ResourceSides, syncSpecDown } from "./spec-down.ts";
import { syncStatusUp } from "./status-up.ts";
import { SyncError, SyncErrorReporter } from "./sync-errors.ts";

export { HEARTBEAT_NAMESPACE, heartbeatLeaseName } from "./heartbeat.ts";

export interface SyncerOptions {
  /** kcp, scoped to the logical cluster the Cluster object lives in (RestClient for /clusters/<lc>). */
  upstream: RestClient;
  /** The physical cluster. */
  downstream: RestClient;
  /** The Cluster's name (the location): objects labelled kcp.dev/cluster=<clusterName> are synced. */
  clusterName: string;
  /** The logical cluster name of `upstream` (written in the ownership annotations downstream). */
  logicalCluster: string;
  /** GR strings or bare names ("deployments.apps", "configmaps"); types missing in kcp are retried. */
  resources: string[];
  /** Heartbeat Lease renewal interval (default 5000 ms). */
  heartbeatIntervalMs?: number;
  /** Workers per direction (default 2). */
  workers?: number;
  /** How often discovery is read again while a requested type is missing (default 2000 ms). */
  rediscoverMs?: number;
  /** Every this often every key is checked again (default 5 minutes). */
  resyncMs?: number;
}

export interface Syncer {
  /** Resolves once the first lists of both sides are cached and the first heartbeat was written. */
  readonly started: Promise<void>;
  /** GR strings currently synced (sorted). */
  syncedResources(): string[];
  /** What was done since start (for progress logs). */
  counts(): SyncCounts;
  stop(): Promise<void>;
}

export interface SyncCounts {
  created: number;
  updated: number;
  deleted: number;
  /** Status writes to kcp. */
  statusUpdated: number;
  /** Failed attempts (each is retried). */
  failures: number;
}

interface Running {
  sides: ResourceSides;
  ready: Promise<void>;
}

const CRD_REF = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
};

/**
 * Retries of a key back off up to this: an object the physical cluster refuses for good costs a
 * create, a read and an Event per retry, and the work queue's default cap (5 s) made that forever
 * every 5 s per object. Connection trouble recovers sooner than this through the informers' events.
 */
const MAX_RETRY_DELAY_MS = 2 * 60_000;

const NAMESPACES_REF = { group: "", version: "v1", resource: "namespaces", namespaced: false, kind: "Namespace" };
/** Its uid is the upstream identity (as kube-system's uid is a Kubernetes cluster's ID). */
const IDENTITY_NAMESPACE = "kube-system";

/** Items on the queues: `<gr>|<namespace>/<name>` (none of the parts can hold `|` or `/`). */
function itemOf(gr: string, namespace: string | undefined, name: string | undefined): string {
  return `${gr}|${namespace ?? ""}/${name ?? ""}`;
}

function parseItem(item: string): { gr: string; namespace: string; name: string } {
  const bar = item.indexOf("|");
  const slash = item.indexOf("/", bar);
  return { gr: item.slice(0, bar), namespace: item.slice(bar + 1, slash), name: item.slice(slash + 1) };
}

export function startSyncer(opts: SyncerOptions): Syncer {
  const { clusterName, logicalCluster } = opts;
  const tag = `syncer ${clusterName} (logical cluster ${logicalCluster})`;
  const up = new DynamicClient(opts.upstream);
  const down = new DynamicClient(opts.downstream);
  const upDiscovery = new DiscoveryClient(opts.upstream);
  const downDiscovery = new DiscoveryClient(opts.downstream);
  const namespaces = new DownstreamNamespaces(down);
  const tolerated = new Map<string, Set<string>>();
  /** Per GR: why it could not be started (its first list failed), until it starts. */
  const startErrors = new Map<string, string>();
  /** Warnings already logged: a pass every few seconds says them once, not every time. */
  const warned = new Set<string>();
  const warnOnce = (message: string) => {
    if (warned.has(message)) return;
    if (warned.size > 1000) warned.clear();
    warned.add(message);
    log.warn(`${tag}: ${message}`);
  };
  const reporter = new SyncErrorReporter(up, clusterName);
  const running = new Map<string, Running>();
  /** Types whose first lists are in flight: stop() stops their informers too. */
  const pending = new Set<Running>();
  const selector = `${CLUSTER_LABEL}=${clusterName}`;
  const workers = opts.workers ?? 2;
  let stopped = false;
  let lastDiscovery: DiscoveryResult | undefined;
  let discoveryError: string | undefined;
  let rediscoverTimer: ReturnType<typeof setTimeout> | undefined;
  /** kcp's identity (UPSTREAM_IDENTITY_ANNOTATION), read before any type starts: no worker runs without it. */
  let identity: string | undefined;
  const counts: SyncCounts = { created: 0, updated: 0, deleted: 0, statusUpdated: 0, failures: 0 };

  const specQueue = new WorkQueue(
    `${tag} spec`,
    async (item: string) => {
      const { gr, namespace, name } = parseItem(item);
      const r = running.get(gr);
      if (!r) return true;
      try {
        const ctx = { logicalCluster, clusterName, namespaces, identity: identity as string, tolerated };
        const done = await syncSpecDown(ctx, r.sides, namespace, name);
        if (done !== "unchanged") counts[done]++;
        const obj = r.sides.upCache.get(namespace, name);
        if (obj) reporter.clear(obj);
        return true;
      } catch (e) {
        counts.failures++;
        await reportFailure(r.sides, namespace, name, e);
        return false;
      }
    },
    { workers, maxDelayMs: MAX_RETRY_DELAY_MS },
  );
  const statusQueue = new WorkQueue(
    `${tag} status`,
    async (item: string) => {
      const { gr, namespace, name } = parseItem(item);
      const r = running.get(gr);
      if (!r) return true;
      try {
        if (await syncStatusUp(logicalCluster, r.sides, namespace, name, identity, clusterName)) counts.statusUpdated++;
        return true;
      } catch (e) {
        counts.failures++;
        log.debug(`${tag}: status of ${gr} ${namespace}/${name}: ${(e as Error).message}`);
        return false;
      }
    },
    { workers, maxDelayMs: MAX_RETRY_DELAY_MS },
  );

  /**
   * Errors that say something about this object (it is not ours downstream, the physical cluster
   * refused it) are reported on the kcp object; connection trouble is the heartbeat's to report.
   */
  async function reportFailure(sides: ResourceSides, namespace: string, name: string, e: unknown): Promise<void> {
    const message = (e as Error).message;
    log.debug(`${tag}: ${sides.res.gr} ${namespace}/${name}: ${message}`);
    const obj = sides.upCache.get(namespace, name);
    if (!obj) return;
    const aboutObject =
      e instanceof SyncError || (isStatusError(e) && e.code >= 400 && e.code < 500 && e.code !== 409 && e.code !== 429);
    if (!aboutObject) return;
    // Logged when first reported; the retries that follow only bump the Event's count.
    if (await reporter.report(obj, message)) log.warn(`${tag}: ${sides.res.gr} ${namespace}/${name}: ${message}`);
  }

  function startResource(res: SyncedResource): Running {
    const upstream = up.resource(res.ref);
    const downstream = down.resource(res.ref);
    const both = (obj: { metadata: { namespace?: string; name?: string } }) => {
      const item = itemOf(res.gr, obj.metadata.namespace, obj.metadata.name);
      specQueue.add(item);
      if (res.hasStatus) statusQueue.add(item);
    };
    const handlers = {
      onAdd: both,
      onUpdate: (_old: unknown, obj: Parameters<typeof both>[0]) => both(obj),
      onDelete: both,
    };
    const resyncMs = opts.resyncMs ?? 5 * 60_000;
    const upCache = new Informer({
      name: `${tag} ${res.gr} (kcp)`,
      source: remoteSource(upstream, { labelSelector: selector }),
      transform: (obj) => forCache(obj),
      resyncMs,
      ...handlers,
    });
    const downCache = new Informer({
      name: `${tag} ${res.gr} (downstream)`,
      source: remoteSource(downstream, { labelSelector: selector }),
      transform: (obj) => forCache(obj, FIELD_MANAGER),
      ...handlers,
    });
    const sides: ResourceSides = { res, upstream, downstream, upCache, downCache };
    // Workers read both caches: a key queued by the first list to arrive waits until the other is
    // in too (the queue's process returns true for a type that is not `running` yet).
    const ready = Promise.all([upCache.start(), downCache.start()]).then(() => {
      log.info(`${tag}: syncing ${res.gr}`);
    });
    return { sides, ready };
  }

  function problems(): string | undefined {
    if (discoveryError) return discoveryError;
    const d = lastDiscovery;
    if (!d) return SYNCER_STATUS_STARTING;
    const parts: string[] = [];
    if (d.missingUpstream.length) parts.push(`resource types not found in kcp: ${d.missingUpstream.join(", ")}`);
    if (d.missingDownstream.length) {
      parts.push(`resource types not served by the physical cluster: ${d.missingDownstream.join(", ")}`);
    }
    for (const [gr, message] of [...startErrors].sort(([a], [b]) => a.localeCompare(b))) {
      parts.push(`cannot list ${gr}: ${message}`);
    }
    return parts.length ? parts.join("; ") : undefined;
  }

  const heartbeat = new Heartbeat({
    tag,
    upstream: up,
    downstream: opts.downstream,
    clusterName,
    intervalMs: opts.heartbeatIntervalMs ?? 5000,
    problems,
    syncedResources,
  });

  function syncedResources(): string[] {
    return [...running.keys()].sort();
  }

  /**
   * One discovery pass at a time: a pass asked for while one runs (a CRD event during the timer's
   * pass) runs once more after it. True when everything requested is synced.
   */
  let refreshing: Promise<boolean> | undefined;
  let refreshAgain = false;
  function refresh(): Promise<boolean> {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = (async () => {
      let ok = false;
      do {
        refreshAgain = false;
        ok = await refreshOnce();
      } while (refreshAgain && !stopped);
      watchCRDsWhile(!ok);
      return ok;
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  /**
   * While a requested type is missing, kcp's CRDs are watched (names only): a CRD created or
   * becoming Established starts a discovery pass at once rather than at the next timer tick.
   */
  let crdWatch: Informer | undefined;
  let crdTimer: ReturnType<typeof setTimeout> | undefined;
  function watchCRDsWhile(missing: boolean): void {
    if (!missing || stopped) {
      crdWatch?.stop();
      crdWatch = undefined;
      return;
    }
    if (crdWatch) return;
    const soon = () => {
      if (crdTimer || stopped) return;
      crdTimer = setTimeout(() => {
        crdTimer = undefined;
        void refresh();
      }, 50);
    };
    const watch = new Informer({
      name: `${tag} CRDs`,
      source: remoteSource(up.resource(CRD_REF)),
      transform: (crd) => ({ metadata: { name: crd.metadata.name, resourceVersion: crd.metadata.resourceVersion } }),
      onUpdate: soon,
      onAdd: soon,
    });
    crdWatch = watch;
    watch.start().catch((e) => {
      log.debug(`${tag}: cannot watch CRDs: ${(e as Error).message}`);
      // Not watching: the next pass that still misses a type tries again.
      watch.stop();
      if (crdWatch === watch) crdWatch = undefined;
    });
  }

  /** Read discovery; start the types found that are not running yet. Resolves when they have synced. */
  async function refreshOnce(): Promise<boolean> {
    let result: DiscoveryResult;
    try {
      identity ??= await readIdentity();
      result = await discoverResources(opts.resources, upDiscovery, downDiscovery).catch((e: Error) => {
        throw new Error(`cannot read the resource types: ${e.message}`);
      });
      discoveryError = undefined;
    } catch (e) {
      const message = (e as Error).message;
      // Said once per new message: it is retried every few seconds while a side is down.
      if (message !== discoveryError) log.warn(`${tag}: ${message}`);
      discoveryError = message;
      return false;
    }
    const before = problems();
    lastDiscovery = result;
    for (const gr of startErrors.keys()) if (!result.found.some((r) => r.gr === gr)) startErrors.delete(gr);
    for (const name of result.unsyncable) {
      warnOnce(`${name} is cluster-scoped or cannot be watched; only namespaced types are synced`);
    }
    const starting: Running[] = [];
    const added: Running[] = [];
    for (const res of result.found) {
      if (running.has(res.gr) || stopped) continue;
      const r = startResource(res);
      pending.add(r);
      starting.push(r);
      added.push(r);
    }
    // Register only once synced, so no worker reads a half-filled cache; then queue every key of both lists.
    const results = await Promise.allSettled(starting.map((r) => r.ready));
    results.forEach((s, i) => {
      const r = added[i] as Running;
      pending.delete(r);
      if (stopped) {
        // stop() came while the lists were in flight: these informers were never registered.
        r.sides.upCache.stop();
        r.sides.downCache.stop();
        return;
      }
      if (s.status === "rejected") {
        const message = (s.reason as Error).message;
        warnOnce(`cannot list ${r.sides.res.gr}: ${message}; retrying`);
        startErrors.set(r.sides.res.gr, message);
        r.sides.upCache.stop();
        r.sides.downCache.stop();
        return;
      }
      startErrors.delete(r.sides.res.gr);
      running.set(r.sides.res.gr, r);
      for (const obj of [...r.sides.upCache.list(), ...r.sides.downCache.list()]) {
        const item = itemOf(r.sides.res.gr, obj.metadata.namespace, obj.metadata.name);
        specQueue.add(item);
        if (r.sides.res.hasStatus) statusQueue.add(item);
      }
    });
    if (before !== problems() || added.length > 0) void heartbeat.beat();
    return results.every((s) => s.status === "fulfilled") && problems() === undefined;
  }

  /** The uid of kube-system in the upstream logical cluster: unique per kcp installation and logical cluster. */
  async function readIdentity(): Promise<string> {
    let uid: string | undefined;
    try {
      uid = (await up.resource(NAMESPACES_REF).get(IDENTITY_NAMESPACE)).metadata.uid;
    } catch (e) {
      throw new Error(
        `cannot read namespace ${IDENTITY_NAMESPACE} in kcp (its uid tells this kcp's copies): ${(e as Error).message}`,
      );
    }
    if (!uid) throw new Error(`namespace ${IDENTITY_NAMESPACE} in kcp has no uid`);
    return uid;
  }

  function scheduleRefresh(): void {
    if (stopped) return;
    rediscoverTimer = setTimeout(async () => {
      rediscoverTimer = undefined;
      if (!(await refresh())) scheduleRefresh();
    }, opts.rediscoverMs ?? 2000);
  }

  heartbeat.start();
  const started = (async () => {
    // The first pass: everything that is there now must be synced before `started` resolves.
    if (!(await refresh())) scheduleRefresh();
    while (!stopped && running.size === 0 && lastDiscovery === undefined) {
      await new Promise((r) => setTimeout(r, opts.rediscoverMs ?? 2000));
    }
    await heartbeat.firstWrite;
  })();

  return {
    started,
    syncedResources,
    counts: () => ({ ...counts }),
    async stop() {
      stopped = true;
      if (rediscoverTimer) clearTimeout(rediscoverTimer);
      if (crdTimer) clearTimeout(crdTimer);
      crdWatch?.stop();
      // Writes in flight finish before stop() resolves: nothing is written after it.
      const drained = Promise.all([specQueue.stop(), statusQueue.stop()]);
      for (const r of [...running.values(), ...pending]) {
        r.sides.upCache.stop();
        r.sides.downCache.stop();
      }
      running.clear();
      pending.clear();
      await Promise.all([drained, heartbeat.stop()]);
    },
  };
}
