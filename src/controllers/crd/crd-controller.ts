// The CRD controller: follows CustomResourceDefinitions in every logical cluster (an informer over
// the object store, client/informer.ts) and, per cluster,
// decides names acceptance (status.acceptedNames, NamesAccepted, Established), serves the
// Established CRDs' versions through the resource registry, and on deletion removes their custom
// resources before releasing the cleanup finalizer. Schemas are compiled once per CRD version and
// reused until the version's schema changes.

import { compileSchema, type CompiledSchema } from "../../apis/crd/compiled-schema.ts";
import { setCondition } from "../../apis/crd/crd-conditions.ts";
import {
  acceptedNamesOf,
  CLEANUP_FINALIZER,
  conditionsOf,
  type CRDVersion,
  crdSpec,
  isConditionTrue,
} from "../../apis/crd/crd-spec.ts";
import { customResourceDefs } from "../../apis/crd/custom-resource-defs.ts";
import { deepEqual } from "../../apis/object-codec.ts";
import { INHERITED_FROM, type ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { log } from "../../log.ts";
import { Informer } from "../../client/informer.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { StatusError } from "../../machinery/status.ts";
import { deleteInstances } from "./instance-cleanup.ts";
import { acceptNames, claimedNames } from "./names-acceptance.ts";

const SYSTEM_USER = { username: "system:kcp:crd-controller", groups: ["system:masters"] };

function byCreation(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}

export class CrdController {
  private informer?: Informer;
  /** The latest CRDs, by cluster and name. */
  private readonly crds = new Map<string, Map<string, KObject>>();
  /** Compiled schemas by CRD uid/version, with the schema text they were compiled from. */
  private readonly compiled = new Map<string, { cluster: string; text: string; compiled: CompiledSchema }>();
  /** What each cluster's registered definitions were built from, to skip needless re-registration. */
  private readonly signatures = new Map<string, string>();
  /** Items are logical cluster names: each cluster's CRDs are decided together. */
  private readonly work = new WorkQueue("crd controller", async (cluster) => {
    await this.sync(cluster);
    return true;
  });
  private readonly cleanups = new Set<string>();
  private stopped = false;
  /**
   * Clusters changed while start() decides the listed CRDs: queued once that is done (the work
   * queue takes over then). Null after start.
   */
  private changedDuringStart: Set<string> | null = new Set();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly crdDef: ResourceDef,
  ) {}

  /** List every CRD, serve what is established, then follow changes. Resolves once serving is set up. */
  async start(): Promise<void> {
    this.informer = new Informer(this.store, this.crdDef, {
      name: "crd controller",
      onAdd: (crd, cluster) => this.remember(crd, cluster),
      onUpdate: (_old, crd, cluster) => this.remember(crd, cluster),
      onDelete: (crd, cluster) => {
        this.crds.get(cluster)?.delete(crd.metadata.name as string);
        this.changed(cluster);
      },
    });
    await this.informer.start();
    for (const cluster of new Set([...this.crds.keys(), ...this.registry.clustersWithOwnResources()])) {
      try {
        await this.sync(cluster);
      } catch (e) {
        log.warn(`crd controller: ${cluster}: ${(e as Error).message}`);
        this.work.addLater(cluster);
      }
    }
    const changed = this.changedDuringStart ?? [];
    this.changedDuringStart = null;
    for (const cluster of changed) this.work.add(cluster);
  }

  stop(): void {
    this.stopped = true;
    this.informer?.stop();
    this.work.stop();
  }

  /** The latest version of a CRD (the informer's object: never mutated here). */
  private remember(crd: KObject, cluster: string): void {
    let m = this.crds.get(cluster);
    if (!m) {
      m = new Map();
      this.crds.set(cluster, m);
    }
    m.set(crd.metadata.name as string, crd);
    this.changed(cluster);
  }

  private changed(cluster: string): void {
    // The first list is decided by start() itself.
    if (!this.informer?.hasSynced()) return;
    if (this.changedDuringStart) this.changedDuringStart.add(cluster);
    else this.work.add(cluster);
  }

  private compileFor(cluster: string, crd: KObject, v: CRDVersion): CompiledSchema {
    const key = `${crd.metadata.uid}/${v.name}`;
    const text = JSON.stringify(v.schema ?? null);
    const hit = this.compiled.get(key);
    if (hit && hit.text === text) return hit.compiled;
    const compiled = compileSchema(v.schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true });
    this.compiled.set(key, { cluster, text, compiled });
    return compiled;
  }

  /** Names, status and served definitions of one logical cluster. */
  private async sync(cluster: string): Promise<void> {
    const crds = [...(this.crds.get(cluster)?.values() ?? [])].sort(byCreation);
    // Decide names in creation order, each CRD seeing what the earlier ones were just granted.
    const granted = new Map(crds.map((c) => [c.metadata.name as string, acceptedNamesOf(c)]));
    const desired: KObject[] = [];
    for (const crd of crds) {
      const group = crdSpec(crd).group;
      const others = crds
        .filter((o) => o !== crd && crdSpec(o).group === group)
        .map((o) => granted.get(o.metadata.name as string) ?? acceptedNamesOf(o));
      const next = structuredClone(crd);
      granted.set(crd.metadata.name as string, acceptNames(next, claimedNames(others)));
      desired.push(next);
    }

    // Serve first, then report Established: a client that saw the condition finds the API.
    this.register(cluster, desired);
    for (let i = 0; i < crds.length; i++) {
      const before = crds[i] as KObject;
      const after = desired[i] as KObject;
      if (!sameNamesStatus(before, after)) await this.writeNamesStatus(cluster, after);
      if (after.metadata.deletionTimestamp && after.metadata.finalizers?.includes(CLEANUP_FINALIZER))
        this.startCleanup(cluster, after);
    }
    // Forget compiled schemas of CRDs this cluster no longer has.
    const uids = new Set(crds.map((c) => c.metadata.uid));
    for (const [key, entry] of this.compiled) {
      if (entry.cluster === cluster && !uids.has(key.split("/")[0])) this.compiled.delete(key);
    }
    if (crds.length === 0) this.crds.delete(cluster);
  }

  private register(cluster: string, crds: KObject[]): void {
    const signature = JSON.stringify(
      crds
        .filter((c) => isConditionTrue(c, "Established"))
        .map((c) => [
          c.metadata.uid,
          c.metadata.generation,
          c.metadata.deletionTimestamp ?? "",
          (c.status as Record<string, unknown>)?.acceptedNames,
          isConditionTrue(c, "Terminating"),
        ]),
    );
    if (this.signatures.get(cluster) === signature) return;
    const defs = crds.flatMap((c) => customResourceDefs(c, (crd, v) => this.compileFor(cluster, crd, v)));
    this.registry.setClusterResources(cluster, defs);
    if (defs.length === 0) this.signatures.delete(cluster);
    else this.signatures.set(cluster, signature);
  }

  private ctx(cluster: string): RequestContext {
    return { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  private async writeNamesStatus(cluster: string, desired: KObject): Promise<void> {
    const status = desired.status as Record<string, unknown>;
    try {
      await this.store.update(
        this.crdDef,
        this.ctx(cluster),
        undefined,
        desired.metadata.name as string,
        (cur) => {
          // Names and conditions from this decision; anything else (storedVersions, Terminating) as stored.
          const s = (cur.status ?? {}) as Record<string, unknown>;
          cur.status = s;
          s.acceptedNames = status.acceptedNames;
          for (const c of conditionsOf(desired)) {
            if (c.type !== "NamesAccepted" && c.type !== "Established") continue;
            setCondition(cur, {
              type: c.type,
              status: c.status as "True" | "False",
              reason: c.reason ?? "",
              message: c.message ?? "",
            });
          }
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return;
      throw e;
    }
  }

  /** Whether a cluster's objects of admin's CRD belong to it (no CRD of its own for that resource). */
  private inheritsFromAdmin(crd: KObject, cluster: string): boolean {
    const spec = crdSpec(crd);
    const own = this.crds.get(cluster);
    if (!own) return true;
    return ![...own.values()].some((c) => {
      const s = crdSpec(c);
      return s.group === spec.group && s.names.plural === spec.names.plural;
    });
  }

  private startCleanup(cluster: string, crd: KObject): void {
    const key = `${cluster}/${crd.metadata.name}`;
    if (this.cleanups.has(key) || this.stopped) return;
    this.cleanups.add(key);
    void this.cleanup(cluster, crd)
      .then((done) => {
        this.cleanups.delete(key);
        if (!done) this.work.addLater(cluster, 200);
      })
      .catch((e) => {
        this.cleanups.delete(key);
        log.warn(`crd controller: cleanup of ${key}: ${(e as Error).message}`);
        this.work.addLater(cluster);
      });
  }

  /** Delete the CRD's custom resources, then release the finalizer. True when finished. */
  private async cleanup(cluster: string, crd: KObject): Promise<boolean> {
    const name = crd.metadata.name as string;
    const established = isConditionTrue(crd, "Established");
    if (established) {
      await this.setTerminating(cluster, name, {
        status: "True",
        reason: "InstanceDeletionInProgress",
        message: "CustomResource deletion is in progress",
      });
      const owned = cluster === INHERITED_FROM ? (c: string) => this.inheritsFromAdmin(crd, c) : () => false;
      const remaining = await deleteInstances(this.store, crd, cluster, owned);
      if (remaining > 0) return false;
    }
    const cond = established
      ? { status: "True" as const, reason: "InstanceDeletionCompleted", message: "removed all instances" }
      : { status: "False" as const, reason: "NeverEstablished", message: "resource was never established" };
    try {
      await this.store.update(
        this.crdDef,
        this.ctx(cluster),
        undefined,
        name,
        (cur) => {
          setCondition(cur, { type: "Terminating", ...cond });
          cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
          delete cur.metadata.resourceVersion;
          return cur;
        },
        { subresource: "status" },
      );
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
    return true;
  }

  private async setTerminating(
    cluster: string,
    name: string,
    c: { status: "True" | "False"; reason: string; message: string },
  ): Promise<void> {
    await this.store.update(
      this.crdDef,
      this.ctx(cluster),
      undefined,
      name,
      (cur) => {
        setCondition(cur, { type: "Terminating", ...c });
        delete cur.metadata.resourceVersion;
        return cur;
      },
      { subresource: "status" },
    );
  }
}

/** Whether two versions of a CRD agree on what the names decision writes. */
function sameNamesStatus(a: KObject, b: KObject): boolean {
  const pick = (o: KObject) => ({
    names: (o.status as Record<string, unknown> | undefined)?.acceptedNames,
    conds: conditionsOf(o)
      .filter((c) => c.type === "NamesAccepted" || c.type === "Established")
      .map((c) => [c.type, c.status, c.reason, c.message]),
  });
  return deepEqual(pick(a), pick(b));
}
