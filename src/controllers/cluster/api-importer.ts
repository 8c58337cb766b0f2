// The API importer (spec 4.7): per Cluster, whatever its mode, it pulls the schemas of the Cluster's
// resources to sync that kcp does not serve natively from the physical cluster's discovery and
// OpenAPI (the CRD puller), and keeps one APIResourceImport per resource in the Cluster's logical
// cluster (api-import-object.ts). It runs at once, then every minute, and again whenever the
// Cluster's resources change. It needs nothing of the syncer: a cluster whose syncer fails still
// contributes its schema.
//
// Differences from the seed, on purpose:
//   - imports of resources no longer pulled (or no longer requested) are deleted (the seed meant to,
//     but never recorded what it had imported);
//   - a changed schema, names, scope, subresources or columns are written, and only those (a
//     user's schemaUpdateStrategy stays); an unchanged import is not written at all;
//   - a new puller per pass, so a physical cluster's OpenAPI is read again (the seed read it once);
//   - a pull that fails is logged and retried (1 s doubling up to the interval) and deletes nothing:
//     a cluster that does not answer keeps its imports; nor does a pull whose discovery failed for
//     a group (a 503 on /apis/apps/v1) delete, or move to another version, that group's imports —
//     the last import of a resource going takes its negotiated CRD, and every object of it, along.

import { API_VERSION_ANNOTATION, DEFAULT_SCHEMA_UPDATE_STRATEGY } from "../../apis/builtin/apiresource.ts";
import { CLUSTER_API_VERSION, CLUSTER_KIND } from "../../apis/builtin/cluster.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { log } from "../../log.ts";
import { isObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";
import { importGroupResource } from "./api-gating.ts";
import {
  type ClusterOwner,
  clusterOwnerReference,
  IMPORTED_FIELDS,
  importFromCrd,
  importedDigest,
  ownedBy,
} from "./api-import-object.ts";

/** The puller's result (src/controllers/crd-puller/crd-puller.ts), as far as it is used here. */
export interface PulledCrds {
  crds: Record<string, unknown>[];
  skipped: { resource: string; reason: string }[];
  /** Groups ("" for core) the cluster's discovery could not read in full: their absence proves nothing. */
  incompleteGroups?: string[];
}

/** A CRD puller for one physical cluster (CrdPuller): pull(names) → one CRD per resource found. */
export interface CrdPulling {
  pull(resources: string[]): Promise<PulledCrds>;
}

export interface ApiImporterDeps {
  store: ObjectStore;
  importDef: ResourceDef;
  /** The Cluster as cached; undefined when gone. */
  cluster(lc: string, name: string): KObject | undefined;
  /** The imports of a Cluster (spec.location = its name) as cached: digests in place of schemas (importSummary). */
  importsOf(lc: string, name: string): KObject[];
  /** What to import for a Cluster: its requested resources that kcp does not serve natively. */
  toImport(lc: string, cluster: KObject): string[];
  /** Whether kcp serves group/version/resource natively in `lc` (the puller skips those). */
  servedNatively(lc: string, group: string, version: string, resource: string): boolean;
  /** Something the Ready message says changed (why a resource is not imported). */
  changed(lc: string, name: string): void;
  /** How often a Cluster's resources are pulled again. */
  intervalMs: number;
}

interface State {
  lc: string;
  name: string;
  /** The kubeconfig its puller reaches the cluster with: another one restarts the importer. */
  kubeconfig: string;
  newPuller: () => CrdPulling;
  /** The resources asked for at the last ensure(): another set runs a pass at once. */
  resources: string;
  timer?: ReturnType<typeof setTimeout>;
  running?: Promise<void>;
  again: boolean;
  stopped: boolean;
  failures: number;
  lastError?: string;
  /** Why resources were not imported (the puller's skip reasons), by GR string. */
  skipped: Map<string, string>;
}

const SYSTEM_USER = { username: "system:kcp:cluster-controller", groups: ["system:masters"] };

/** The first retry after a failed pull; doubled per failure up to the interval. */
const FIRST_RETRY_MS = 1000;

export class ApiImporter {
  private readonly states = new Map<string, State>();

  constructor(private readonly deps: ApiImporterDeps) {}

  /**
   * Imports for Cluster `lc|name` with a puller from `newPuller` (a client of the cluster its
   * `kubeconfig` reaches): started when new or when the kubeconfig changed, a pass at once when
   * `resources` (the requested set) changed.
   */
  ensure(
    lc: string,
    name: string,
    kubeconfig: string,
    resources: readonly string[],
    newPuller: () => CrdPulling,
  ): void {
    const key = `${lc}|${name}`;
    const fp = JSON.stringify(resources);
    const cur = this.states.get(key);
    if (cur && cur.kubeconfig === kubeconfig) {
      if (cur.resources !== fp) {
        cur.resources = fp;
        this.runNow(cur);
      }
      return;
    }
    if (cur) this.halt(cur);
    const s: State = {
      lc,
      name,
      kubeconfig,
      newPuller,
      resources: fp,
      again: false,
      stopped: false,
      failures: 0,
      skipped: new Map(),
    };
    this.states.set(key, s);
    this.runNow(s);
  }

  /** Stops importing for a Cluster (its imports stay). */
  stop(lc: string, name: string): void {
    const key = `${lc}|${name}`;
    const s = this.states.get(key);
    if (!s) return;
    this.states.delete(key);
    this.halt(s);
  }

  /** Stops every importer; waits for passes under way (at most `waitMs`). */
  async stopAll(waitMs: number): Promise<void> {
    const running = [...this.states.values()].map((s) => s.running).filter((p) => p !== undefined);
    for (const s of this.states.values()) this.halt(s);
    this.states.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled(running), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  /** Why the importer has no import for some of a Cluster's resources, by GR string. */
  skipped(lc: string, name: string): ReadonlyMap<string, string> {
    return this.states.get(`${lc}|${name}`)?.skipped ?? new Map();
  }

  /** Deletes every import of a Cluster (its deletion must not wait for the garbage collector). */
  async deleteImports(lc: string, name: string): Promise<void> {
    for (const imp of this.deps.importsOf(lc, name)) if (madeForCluster(imp, name)) await this.deleteImport(lc, imp);
  }

  private halt(s: State): void {
    s.stopped = true;
    clearTimeout(s.timer);
    s.timer = undefined;
  }

  private runNow(s: State): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = (async () => {
      do {
        s.again = false;
        await this.pass(s).catch((e) =>
          log.warn(`API importer: cluster ${s.name} (logical cluster ${s.lc}): ${(e as Error).message}`),
        );
      } while (s.again && !s.stopped);
    })().finally(() => {
      s.running = undefined;
      if (s.stopped) return;
      const delay =
        s.failures > 0
          ? Math.min(this.deps.intervalMs, FIRST_RETRY_MS * 2 ** Math.min(s.failures - 1, 20))
          : this.deps.intervalMs;
      s.timer = setTimeout(() => this.runNow(s), delay);
    });
  }

  private ctx(lc: string): RequestContext {
    return { cluster: lc, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  /** One import pass: pull, then create, refresh or delete imports to match. */
  private async pass(s: State): Promise<void> {
    const { lc, name } = s;
    const tag = `API importer: cluster ${name} (logical cluster ${lc})`;
    const cluster = this.deps.cluster(lc, name);
    if (!cluster || cluster.metadata.deletionTimestamp || !cluster.metadata.uid) return;
    const owner: ClusterOwner = { name, uid: cluster.metadata.uid };
    const wanted = this.deps.toImport(lc, cluster);
    let pulled: PulledCrds = { crds: [], skipped: [] };
    // Nothing to import: no request at all (pull() with no names would pull everything).
    if (wanted.length > 0) {
      try {
        pulled = await s.newPuller().pull(wanted);
      } catch (e) {
        s.failures++;
        const message = (e as Error).message;
        // Said once per new message; the retries after it are debug.
        if (message !== s.lastError) log.warn(`${tag}: cannot pull its resources (retrying; imports kept): ${message}`);
        else log.debug(`${tag}: cannot pull its resources: ${message}`);
        s.lastError = message;
        return;
      }
    }
    if (s.stopped) return;
    s.failures = 0;
    s.lastError = undefined;
    const skipped = new Map(pulled.skipped.map((k) => [k.resource, k.reason]));
    const skipsChanged = JSON.stringify([...skipped]) !== JSON.stringify([...s.skipped]);
    s.skipped = skipped;

    const existing = new Map(this.deps.importsOf(lc, name).map((i) => [i.metadata.name ?? "", i]));
    // Imports of a group whose discovery failed stay as they are this pass (a resource seemingly
    // gone, or found only in an older version of the group, is not news).
    const incomplete = new Set(pulled.incompleteGroups ?? []);
    const frozen = (imp: KObject) => incomplete.has(importGroupResource(imp).group);
    const frozenResources = new Set(
      [...existing.values()].filter(frozen).map((i) => JSON.stringify(importGroupResource(i))),
    );
    const desired = new Map<string, KObject>();
    for (const crd of pulled.crds) {
      const imp = importFromCrd(crd, owner);
      if (!imp?.metadata.name) {
        log.warn(`${tag}: the puller gave a CRD an import cannot be made of: ${JSON.stringify(crd).slice(0, 200)}`);
        continue;
      }
      if (!existing.has(imp.metadata.name) && frozenResources.has(JSON.stringify(importGroupResource(imp)))) continue;
      desired.set(imp.metadata.name, imp);
    }
    let failed: Error | undefined;
    for (const [importName, want] of desired) {
      if (s.stopped) return;
      try {
        await this.write(lc, want, existing.get(importName), owner);
      } catch (e) {
        failed ??= e as Error;
      }
    }
    for (const [importName, imp] of existing) {
      // Only imports a Cluster of this name owns: one a user made by hand for this location stays.
      if (desired.has(importName) || s.stopped || !madeForCluster(imp, name) || frozen(imp)) continue;
      try {
        await this.deleteImport(lc, imp);
        log.info(`${tag}: deleted import ${importName} (no longer pulled or requested)`);
      } catch (e) {
        failed ??= e as Error;
      }
    }
    if (skipsChanged) this.deps.changed(lc, name);
    if (failed) {
      s.failures++;
      throw new Error(`writing its imports: ${failed.message}`);
    }
  }

  /** Creates the import, or refreshes what came from the cluster when that changed. */
  private async write(lc: string, want: KObject, cached: KObject | undefined, owner: ClusterOwner): Promise<void> {
    const name = want.metadata.name as string;
    if (!cached) {
      try {
        await this.deps.store.create(this.deps.importDef, this.ctx(lc), structuredClone(want), undefined);
        log.info(`API importer: cluster ${owner.name} (logical cluster ${lc}): created import ${name}`);
        return;
      } catch (e) {
        if (!(isStatusError(e) && e.code === 409)) throw e;
        // Created already (the cache is behind our own last write): written again only if it differs.
        const cur = await this.deps.store.get(this.deps.importDef, lc, undefined, name);
        if (upToDate(cur, want, owner)) return;
      }
    } else if (upToDate(cached, want, owner)) {
      return;
    }
    const wantSpec = want.spec as Record<string, unknown>;
    await this.deps.store.update(this.deps.importDef, this.ctx(lc), undefined, name, (cur) => {
      const spec: Record<string, unknown> = isObject(cur.spec) ? { ...cur.spec } : {};
      for (const k of IMPORTED_FIELDS) {
        if (Object.hasOwn(wantSpec, k)) spec[k] = structuredClone(wantSpec[k]);
        else delete spec[k];
      }
      spec.location = owner.name;
      if (typeof spec.schemaUpdateStrategy !== "string" || spec.schemaUpdateStrategy === "")
        spec.schemaUpdateStrategy = DEFAULT_SCHEMA_UPDATE_STRATEGY;
      cur.spec = spec;
      cur.metadata.annotations = { ...(cur.metadata.annotations ?? {}), ...(want.metadata.annotations ?? {}) };
      // The Cluster is the controller (an import left by an earlier Cluster of the same name is taken over).
      const others = (cur.metadata.ownerReferences ?? []).filter((r) => !(isObject(r) && r.controller === true));
      cur.metadata.ownerReferences = [...others, clusterOwnerReference(owner)];
      delete cur.metadata.resourceVersion;
      return cur;
    });
    log.info(`API importer: cluster ${owner.name} (logical cluster ${lc}): updated import ${name}`);
  }

  private async deleteImport(lc: string, imp: KObject): Promise<void> {
    const uid = imp.metadata.uid;
    try {
      await this.deps.store.delete(
        this.deps.importDef,
        this.ctx(lc),
        undefined,
        imp.metadata.name as string,
        uid ? { preconditions: { uid } } : {},
      );
    } catch (e) {
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
  }
}

/** Where importSummary keeps the digest of the fields it leaves out. */
const DIGEST_KEY = "importedDigest";

/**
 * What the controller's cache keeps of an import: no schema (it can be large, once per Cluster and
 * resource), but a digest of the imported fields, the location, the group and resource, the
 * strategy, the apiVersion annotation, owners and conditions.
 */
export function importSummary(obj: KObject): KObject {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const status = isObject(obj.status) ? obj.status : {};
  const m = obj.metadata;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: m.name,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      // Only the annotation compared (kubectl's last-applied copy of a schema would be large).
      ...(m.annotations?.[API_VERSION_ANNOTATION] !== undefined
        ? { annotations: { [API_VERSION_ANNOTATION]: m.annotations[API_VERSION_ANNOTATION] } }
        : {}),
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      location: spec.location,
      groupVersion: spec.groupVersion,
      plural: spec.plural,
      schemaUpdateStrategy: spec.schemaUpdateStrategy,
    },
    status: { conditions: status.conditions },
    [DIGEST_KEY]: importedDigest(obj),
  };
}

/** Whether a Cluster named `name` (this one, or an earlier one of the same name) controls the import. */
function madeForCluster(imp: KObject, name: string): boolean {
  return (imp.metadata.ownerReferences ?? []).some(
    (r) =>
      isObject(r) &&
      r.controller === true &&
      r.apiVersion === CLUSTER_API_VERSION &&
      r.kind === CLUSTER_KIND &&
      r.name === name,
  );
}

/** Whether an import (as stored, or as cached) already says what `want` says. */
function upToDate(cur: KObject, want: KObject, owner: ClusterOwner): boolean {
  return (
    summaryDigest(cur) === importedDigest(want) &&
    ownedBy(cur, owner) &&
    cur.metadata.annotations?.[API_VERSION_ANNOTATION] === want.metadata.annotations?.[API_VERSION_ANNOTATION]
  );
}

function summaryDigest(obj: KObject): string | undefined {
  const d = obj[DIGEST_KEY];
  return typeof d === "string" ? d : importedDigest(obj);
}
