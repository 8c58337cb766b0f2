// The negotiation controller (the seed's apiresource controller, spec §8): in every logical
// cluster, one NegotiatedAPIResource per group/version/resource that some APIResourceImport
// offers, whose schema every importing cluster accepts (the lowest common denominator, negotiate.ts);
// import conditions Compatible and Available; `spec.publish` turns the negotiated resource into a
// CRD it owns (negotiated-crd.ts); a CRD a user made is Enforced: it dictates the schema and is
// never changed. When the last import of a resource goes, so does its negotiated resource, and the
// CRD version it published (the CRD with its last version).
//
// Level-triggered where the seed reacted to event kinds: an item is a (logical cluster, group,
// version, resource), and each pass compares what is stored with what should be (from the
// informers' caches of imports, negotiated resources and CRDs), writing only what differs, so a
// missed or repeated event, a restart or a conflict changes nothing but timing.

import {
  API_VERSION_ANNOTATION,
  APIRESOURCE_GROUP,
  APIRESOURCE_VERSION,
  type APIResourceCondition,
  APIResourceReason,
  type APIResourceImportSpec,
  apiVersionOf,
  type CommonAPIResourceSpec,
  crdNameFor,
  IMPORT_RESOURCE,
  ImportCondition,
  NEGOTIATED_KIND,
  NEGOTIATED_RESOURCE,
  type NegotiatedAPIResourceSpec,
  NegotiatedCondition,
  negotiatedName,
  normalizeGroup,
} from "../../apis/builtin/apiresource.ts";
import { DEFAULT_CLUSTER } from "../../apis/logical-clusters.ts";
import { deepEqual } from "../../apis/object-codec.ts";
import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { Informer } from "../../client/informer.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { log } from "../../log.ts";
import { isObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";
import { type ConditionValue, conditionsOf, sameConditions, withCondition, withoutCondition } from "./conditions.ts";
import { commonSpecOf, type ImportInput, negotiate, type NegotiationResult } from "./negotiate.ts";
import {
  crdGroupAndPlural,
  crdVersionNames,
  enforcedSpecOf,
  isManualCRD,
  negotiatedRefOf,
  newCRDFor,
  publishingState,
  storedVersionsOf,
  versionsOf,
  withNegotiatedVersion,
  withoutNegotiatedVersion,
} from "./negotiated-crd.ts";

const SYSTEM_USER = { username: "system:kcp:negotiation-controller", groups: ["system:masters"] };

/**
 * Which imports shaped the negotiated schema (import name/uid/generation, comma-separated): a
 * contributor leaving or changing rebuilds the schema (negotiate.ts).
 */
export const NEGOTIATED_FROM_ANNOTATION = "apiresource.kcp.dev/negotiated-from";

export interface NegotiationControllerOptions {
  /** New negotiated resources get spec.publish=true (`kcp start --auto-publish-apis`). */
  autoPublish?: boolean;
}

interface Gvr {
  cluster: string;
  group: string;
  version: string;
  plural: string;
}

function keyOf(g: Gvr): string {
  return JSON.stringify([g.cluster, g.group, g.version, g.plural]);
}

function parseKey(key: string): Gvr {
  const [cluster, group, version, plural] = JSON.parse(key) as string[];
  return { cluster, group, version, plural };
}

/** The GVR an import or negotiated resource describes (from its spec), or undefined when malformed. */
function gvrOfSpec(obj: KObject, cluster: string): Gvr | undefined {
  const spec = obj.spec;
  if (!isObject(spec) || !isObject(spec.groupVersion)) return undefined;
  const version = spec.groupVersion.version;
  const plural = spec.plural;
  if (typeof version !== "string" || typeof plural !== "string" || !version || !plural) return undefined;
  const group = typeof spec.groupVersion.group === "string" ? spec.groupVersion.group : undefined;
  return { cluster, group: normalizeGroup(group), version, plural };
}

/** What the CRD cache keeps: no schemas (a Deployment's is 160 KB); they are read when needed. */
function crdSummary(crd: KObject): KObject {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const status = isObject(crd.status) ? crd.status : {};
  const m = crd.metadata;
  return {
    apiVersion: crd.apiVersion,
    kind: crd.kind,
    metadata: {
      name: m.name,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      group: spec.group,
      scope: spec.scope,
      names: spec.names,
      versions: versions.map((v) => ({ name: v.name, served: v.served, storage: v.storage })),
    },
    status: { conditions: status.conditions },
  };
}

function byAge(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}

function isTrue(obj: KObject, type: string): boolean {
  return conditionsOf(obj).some((c) => c.type === type && c.status === "True");
}

function contributorsOf(nar: KObject): string[] | undefined {
  const v = nar.metadata.annotations?.[NEGOTIATED_FROM_ANNOTATION];
  return v ? v.split(",").filter(Boolean) : undefined;
}

/** Thrown inside an update when the object is not the one read (deleted and created again meanwhile). */
class Recreated extends Error {
  constructor(name: string) {
    super(`${name} was recreated meanwhile`);
  }
}

function notFound(e: unknown): boolean {
  return isStatusError(e) && e.code === 404;
}

function conflictOrExists(e: unknown): boolean {
  return isStatusError(e) && (e.code === 409 || e.reason === "AlreadyExists");
}

export class NegotiationController {
  private readonly importDef: ResourceDef;
  private readonly narDef: ResourceDef;
  private readonly crdDef: ResourceDef;
  private readonly imports: Informer;
  private readonly nars: Informer;
  private readonly crds: Informer;
  private readonly work = new WorkQueue<string>("negotiation controller", (key) => this.reconcile(key), {
    workers: 2,
  });
  private stopped = false;
  /** Per CRD version: the NAR and CRD resourceVersions it was last submitted from (publish skips the rest). */
  private readonly submittedFrom = new Map<string, string>();
  /** Keys seen before every informer has synced (then undefined: keys go to the queue). */
  private pending: Set<string> | undefined = new Set();

  constructor(
    private readonly store: ObjectStore,
    registry: ResourceRegistry,
    private readonly opts: NegotiationControllerOptions = {},
  ) {
    const def = (group: string, version: string, resource: string) => {
      const d = registry.lookup(DEFAULT_CLUSTER, group, version, resource);
      if (!d) throw new Error(`the ${resource}.${group} resource is not registered`);
      return d;
    };
    this.importDef = def(APIRESOURCE_GROUP, APIRESOURCE_VERSION, IMPORT_RESOURCE);
    this.narDef = def(APIRESOURCE_GROUP, APIRESOURCE_VERSION, NEGOTIATED_RESOURCE);
    this.crdDef = def("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    const bySpec = (obj: KObject, cluster: string) => {
      const g = gvrOfSpec(obj, cluster);
      if (g) this.enqueue(keyOf(g));
    };
    const groupIndex = (obj: KObject, cluster: string) => {
      const g = gvrOfSpec(obj, cluster);
      return g ? [JSON.stringify([cluster, g.group, g.plural])] : [];
    };
    this.imports = new Informer(store, this.importDef, {
      name: "negotiation controller: imports",
      onAdd: bySpec,
      onUpdate: (_old, obj, cluster) => bySpec(obj, cluster),
      onDelete: bySpec,
    });
    this.imports.addIndex("gvr", (obj, cluster) => {
      const g = gvrOfSpec(obj, cluster);
      return g ? [keyOf(g)] : [];
    });
    this.imports.addIndex("group-resource", groupIndex);
    this.nars = new Informer(store, this.narDef, {
      name: "negotiation controller: negotiated resources",
      onAdd: bySpec,
      onUpdate: (_old, obj, cluster) => bySpec(obj, cluster),
      onDelete: bySpec,
    });
    this.nars.addIndex("group-resource", groupIndex);
    this.crds = new Informer(store, this.crdDef, {
      name: "negotiation controller: CRDs",
      transform: crdSummary,
      onAdd: (crd, cluster) => this.crdChanged(crd, cluster),
      onUpdate: (old, crd, cluster) => {
        this.crdChanged(old, cluster);
        this.crdChanged(crd, cluster);
      },
      onDelete: (crd, cluster) => this.crdChanged(crd, cluster),
    });
  }

  /** Every GVR a CRD event may concern: its versions, and what imports and negotiated resources of its group/resource name. */
  private crdChanged(crd: KObject, cluster: string): void {
    const { group, plural } = crdGroupAndPlural(crd);
    if (!plural) return;
    const keys = new Set<string>();
    for (const version of crdVersionNames(crd)) keys.add(keyOf({ cluster, group, version, plural }));
    const gr = JSON.stringify([cluster, group, plural]);
    for (const obj of [...this.imports.byIndex("group-resource", gr), ...this.nars.byIndex("group-resource", gr)]) {
      const g = gvrOfSpec(obj, cluster);
      if (g) keys.add(keyOf(g));
    }
    for (const k of keys) this.enqueue(k);
  }

  /**
   * Nothing is decided before every informer has listed once: a CRD seen before the negotiated
   * resource owning it would look orphaned, and be deleted with its objects.
   */
  private enqueue(key: string): void {
    if (this.pending) this.pending.add(key);
    else this.work.add(key);
  }

  async start(): Promise<void> {
    await Promise.all([this.crds.start(), this.nars.start(), this.imports.start()]);
    const pending = this.pending ?? new Set<string>();
    this.pending = undefined;
    for (const k of pending) this.work.add(k);
    log.info("negotiation controller: started");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.work.stop();
    this.imports.stop();
    this.nars.stop();
    this.crds.stop();
  }

  private ctx(cluster: string): RequestContext {
    return { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  /** True when done; false (or a throw) to retry with backoff. */
  private async reconcile(key: string): Promise<boolean> {
    if (this.stopped) return true;
    const g = parseKey(key);
    try {
      await this.sync(g);
      return true;
    } catch (e) {
      if (conflictOrExists(e) || notFound(e) || e instanceof Recreated) {
        // Someone wrote in between: the informers bring the news, and the next pass decides again.
        log.debug(`negotiation controller: ${key}: ${(e as Error).message}`);
        return false;
      }
      log.warn(`negotiation controller: ${key}: ${(e as Error).message}`);
      return false;
    }
  }

  private async sync(g: Gvr): Promise<void> {
    const { cluster } = g;
    const ctx = this.ctx(cluster);
    const narName = negotiatedName(g.plural, g.version, g.group);
    const crdName = crdNameFor(g.plural, g.group);
    const imports = this.imports
      .byIndex("gvr", keyOf(g))
      .filter((i) => !i.metadata.deletionTimestamp)
      .sort(byAge);
    let nar = this.nars.get(undefined, narName, cluster);
    const crd = this.crds.get(undefined, crdName, cluster);
    const crdIsOurs = crd !== undefined && !isManualCRD(crd);

    // 1. The CRD version of a negotiated resource that is gone (or being deleted, or recreated
    // with another uid) goes too: the seed's cleanup (§8.6), and the CRD with its last version.
    // The garbage collector may have dropped the gone resource's reference first (the CRD has other
    // owners): in a CRD of ours every version comes from a negotiated resource, so a version
    // without one (and without its reference) goes as well.
    const ref = crd && crdIsOurs ? negotiatedRefOf(crd, narName) : undefined;
    const unowned = crd !== undefined && crdIsOurs && !ref && crdVersionNames(crd).includes(g.version);
    const gone = !nar || nar.metadata.deletionTimestamp !== undefined;
    if (crd && ((ref && (gone || nar?.metadata.uid !== ref.uid)) || (unowned && gone))) {
      // Absence confirmed by a live read: deleting a CRD deletes its objects.
      const live = await this.store.tryGet(this.narDef, cluster, undefined, narName);
      if (live && !live.metadata.deletionTimestamp && (!ref || live.metadata.uid === ref.uid)) return; // the cache lags
      await this.removeVersion(ctx, crdName, crd, narName, ref?.uid, g.version);
      return; // the CRD's event brings us back
    }
    if (!nar || nar.metadata.deletionTimestamp) this.submittedFrom.delete(`${cluster}\0${crdName}\0${narName}`);
    if (nar?.metadata.deletionTimestamp) return; // its delete event brings us back

    // 2. No import left: no negotiated resource (and so, through 1., no CRD version).
    if (imports.length === 0) {
      if (nar && !(await this.anyImportStored(g))) {
        await this.store.delete(this.narDef, ctx, undefined, narName, { preconditions: { uid: nar.metadata.uid } });
        log.info(`negotiation controller: ${cluster}: deleted ${NEGOTIATED_KIND} ${narName} (no import left)`);
      }
      return;
    }

    // 3. A user's CRD serving this version dictates the schema.
    const manual = crd !== undefined && !crdIsOurs && !crd.metadata.deletionTimestamp;
    let enforced: CommonAPIResourceSpec | undefined;
    if (manual && crdVersionNames(crd).includes(g.version)) {
      const full = await this.store.tryGet(this.crdDef, cluster, undefined, crdName);
      if (full && !isManualCRD(full)) return; // changed under us: the event brings us back
      if (full) enforced = enforcedSpecOf(full, g.version);
    }

    // A user's CRD that dictated the schema is gone (or no longer serves the version): the
    // negotiated resource goes too and comes back from the imports, publish as for any new one (the
    // seed's way), so that kcp does not publish a CRD of its own the moment the user's is deleted.
    if (nar && !enforced && isTrue(nar, NegotiatedCondition.Enforced)) {
      await this.store.delete(this.narDef, ctx, undefined, narName, { preconditions: { uid: nar.metadata.uid } });
      log.info(`negotiation controller: ${cluster}: deleted ${NEGOTIATED_KIND} ${narName} (its enforcing CRD is gone)`);
      return;
    }

    // 4. Negotiate and store the negotiated resource.
    const result = negotiate({
      imports: imports.map(
        (i): ImportInput => ({
          name: i.metadata.name ?? "",
          uid: i.metadata.uid ?? "",
          generation: i.metadata.generation ?? 1,
          spec: i.spec as unknown as APIResourceImportSpec,
        }),
      ),
      current: nar
        ? {
            spec: nar.spec as unknown as CommonAPIResourceSpec,
            published: isTrue(nar, NegotiatedCondition.Published),
            contributors: contributorsOf(nar),
          }
        : undefined,
      enforced,
    });
    if (!result) return;
    nar = await this.storeNegotiated(ctx, g, narName, nar, result, enforced !== undefined);

    // 5. Publish: create or update the CRD (never a user's).
    const spec = nar.spec as unknown as NegotiatedAPIResourceSpec;
    let submitted: ConditionValue | undefined;
    if (spec.publish === true && !enforced) submitted = await this.publish(ctx, crdName, crd, nar, spec);

    // 6. The negotiated resource's conditions, then the imports'.
    const narConditions = this.negotiatedConditions(nar, g, crd, enforced !== undefined, submitted);
    if (!sameConditions(narConditions, conditionsOf(nar))) {
      nar = await this.writeStatus(this.narDef, ctx, nar, narConditions);
    }
    const published = conditionsOf(nar).find((c) => c.type === NegotiatedCondition.Published);
    for (const i of imports) {
      const verdict = result.verdicts.get(i.metadata.name ?? "");
      if (!verdict) continue;
      const gen = i.metadata.generation ?? 1;
      let conds = withCondition(conditionsOf(i), {
        type: ImportCondition.Compatible,
        status: verdict.compatible ? "True" : "False",
        reason: verdict.compatible ? APIResourceReason.SchemaCompatible : APIResourceReason.IncompatibleSchema,
        message: verdict.message,
        observedGeneration: gen,
      });
      // Available says whether this cluster can be given the resource: kcp serves it, and the
      // import is compatible with it (the seed said Available=True of incompatible imports too).
      if (!published) conds = withoutCondition(conds, ImportCondition.Available);
      else if (!verdict.compatible)
        conds = withCondition(conds, {
          type: ImportCondition.Available,
          status: "False",
          reason: APIResourceReason.IncompatibleSchema,
          message: `not compatible with ${NEGOTIATED_KIND} ${narName}`,
          observedGeneration: gen,
        });
      else
        conds = withCondition(conds, {
          type: ImportCondition.Available,
          status: published.status,
          reason: published.status === "True" ? APIResourceReason.Published : APIResourceReason.NotPublished,
          message: published.message ?? "",
          observedGeneration: gen,
        });
      if (!sameConditions(conds, conditionsOf(i))) await this.writeStatus(this.importDef, ctx, i, conds);
    }
  }

  /** Whether an import of the GVR is stored (a live read: the cache may lag behind a new one). */
  private async anyImportStored(g: Gvr): Promise<boolean> {
    const { items } = await this.store.list(this.importDef, g.cluster, undefined, {});
    return items.some((i) => {
      const x = gvrOfSpec(i, g.cluster);
      return !i.metadata.deletionTimestamp && x !== undefined && keyOf(x) === keyOf(g);
    });
  }

  /** Create the negotiated resource, or update its spec and annotations where they differ. */
  private async storeNegotiated(
    ctx: RequestContext,
    g: Gvr,
    name: string,
    current: KObject | undefined,
    result: NegotiationResult,
    enforced: boolean,
  ): Promise<KObject> {
    const annotations: Record<string, string> = { [API_VERSION_ANNOTATION]: apiVersionOf(g.group, g.version) };
    if (!enforced) annotations[NEGOTIATED_FROM_ANNOTATION] = result.contributors.join(",");
    const common = result.spec as unknown as Record<string, unknown>;
    if (!current) {
      // A user's CRD is published already; else new ones wait for `publish` unless auto-publish is on.
      const publish = enforced || this.opts.autoPublish === true;
      const obj: KObject = {
        apiVersion: `${APIRESOURCE_GROUP}/${APIRESOURCE_VERSION}`,
        kind: NEGOTIATED_KIND,
        metadata: { name, annotations },
        spec: { ...common, ...(publish ? { publish: true } : {}) },
      };
      const created = await this.store.create(this.narDef, ctx, obj, undefined);
      log.info(`negotiation controller: ${ctx.cluster}: created ${NEGOTIATED_KIND} ${name}`);
      return created;
    }
    const have = current.metadata.annotations ?? {};
    const annotationsSame =
      Object.entries(annotations).every(([k, v]) => have[k] === v) &&
      (!enforced || have[NEGOTIATED_FROM_ANNOTATION] === undefined);
    if (annotationsSame && deepEqual(commonSpecOf(current.spec as unknown as CommonAPIResourceSpec), common))
      return current;
    const { object } = await this.store.update(this.narDef, ctx, undefined, name, (cur) => {
      if (cur.metadata.uid !== current.metadata.uid) throw new Recreated(name);
      const ann = { ...(cur.metadata.annotations ?? {}), ...annotations };
      if (enforced) delete ann[NEGOTIATED_FROM_ANNOTATION];
      // publish is the user's (or auto-publish's) to set: kept as it is.
      const publish = isObject(cur.spec) ? cur.spec.publish : undefined;
      return {
        ...cur,
        metadata: { ...cur.metadata, annotations: ann },
        spec: { ...common, ...(publish !== undefined ? { publish } : {}) },
      };
    });
    return object;
  }

  /** Create or update the CRD from the negotiated resource: Submitted's value. */
  private async publish(
    ctx: RequestContext,
    crdName: string,
    summary: KObject | undefined,
    nar: KObject,
    spec: NegotiatedAPIResourceSpec,
  ): Promise<ConditionValue> {
    const owner = { name: nar.metadata.name ?? "", uid: nar.metadata.uid ?? "" };
    const submitted = (status: "True" | "False", reason: string, message: string): ConditionValue => ({
      type: NegotiatedCondition.Submitted,
      status,
      reason,
      message,
      observedGeneration: nar.metadata.generation,
    });
    try {
      if (!summary) {
        await this.store.create(this.crdDef, ctx, newCRDFor(owner, spec), undefined);
        log.info(`negotiation controller: ${ctx.cluster}: created CRD ${crdName} from ${owner.name}`);
        return submitted("True", APIResourceReason.CRDSubmitted, `created the CRD ${crdName}`);
      }
      if (summary.metadata.deletionTimestamp)
        return submitted(
          "False",
          "CRDTerminating",
          `the CRD ${crdName} is being deleted; it is created again once gone`,
        );
      if (isManualCRD(summary))
        return submitted(
          "False",
          APIResourceReason.ManualCRD,
          `the CRD ${crdName} was not made by kcp and has no version ${spec.groupVersion.version}: it is left alone`,
        );
      // Neither the NAR nor the CRD changed since the last submission: nothing to compare (a
      // Deployment's CRD is 160 KB of schema to read and compare).
      const memo = `${ctx.cluster}\0${crdName}\0${owner.name}`;
      if (this.submittedFrom.get(memo) === `${nar.metadata.resourceVersion}|${summary.metadata.resourceVersion}`)
        return submitted("True", APIResourceReason.CRDSubmitted, `the CRD ${crdName} serves this version`);
      const cur = await this.store.get(this.crdDef, ctx.cluster, undefined, crdName);
      if (isManualCRD(cur) || cur.metadata.deletionTimestamp) throw new Recreated(crdName); // the cache lags: again
      const next = withNegotiatedVersion(cur, owner, spec);
      let rv = cur.metadata.resourceVersion;
      if (!deepEqual(next.spec, cur.spec) || !deepEqual(next.metadata.ownerReferences, cur.metadata.ownerReferences)) {
        // With the resourceVersion read: a concurrent change is a conflict, and the next pass decides again.
        const { object } = await this.store.update(this.crdDef, ctx, undefined, crdName, () => next);
        rv = object.metadata.resourceVersion;
        log.info(`negotiation controller: ${ctx.cluster}: updated CRD ${crdName} from ${owner.name}`);
      }
      this.submittedFrom.set(memo, `${nar.metadata.resourceVersion}|${rv}`);
      return submitted("True", APIResourceReason.CRDSubmitted, `the CRD ${crdName} serves this version`);
    } catch (e) {
      // A CRD kcp refuses (e.g. a schema its validation rejects) is a verdict, not a transient error.
      if (isStatusError(e) && (e.code === 422 || e.code === 400)) return submitted("False", "CRDInvalid", e.message);
      throw e;
    }
  }

  /** Remove a gone negotiated resource's version (and any reference) from its CRD, or the CRD with its last version. */
  private async removeVersion(
    ctx: RequestContext,
    crdName: string,
    summary: KObject,
    narName: string,
    narUid: string | undefined,
    version: string,
  ): Promise<void> {
    if (summary.metadata.deletionTimestamp) return;
    const full = await this.store.tryGet(this.crdDef, ctx.cluster, undefined, crdName);
    if (!full || full.metadata.uid !== summary.metadata.uid || isManualCRD(full)) return;
    // Without a uid, the version is one whose reference is already gone: it must still be so.
    if (negotiatedRefOf(full, narName)?.uid !== narUid) return;
    if (narUid === undefined && !crdVersionNames(full).includes(version)) return;
    const next = withoutNegotiatedVersion(full, narName, version);
    if (!next) {
      await this.store.delete(this.crdDef, ctx, undefined, crdName, {
        preconditions: { uid: full.metadata.uid, resourceVersion: full.metadata.resourceVersion },
      });
      log.info(`negotiation controller: ${ctx.cluster}: deleted CRD ${crdName} (${narName} is gone)`);
      return;
    }
    if (storedVersionsOf(full).includes(version)) {
      await this.migrateStorage(ctx, crdName, full, next, version);
      return;
    }
    // With the resourceVersion read: a concurrent change is a conflict, retried from the start.
    await this.store.update(this.crdDef, ctx, undefined, crdName, () => next);
    log.info(`negotiation controller: ${ctx.cluster}: removed version ${version} from CRD ${crdName}`);
  }

  /**
   * A version still in status.storedVersions may not leave spec.versions (kube refuses it, and so does
   * kcp). The storage version moves first, to the one `next` chose, and then the version leaves
   * storedVersions. Negotiated CRDs convert with strategy None and kcp keeps custom resources
   * version-agnostic in storage (the served apiVersion is set on read), so the objects written in
   * `version` are already readable as the new storage version: no object needs rewriting. Each step
   * is one write; a conflict retries the whole removal, which starts again from what is stored.
   */
  private async migrateStorage(
    ctx: RequestContext,
    crdName: string,
    full: KObject,
    next: KObject,
    version: string,
  ): Promise<void> {
    const target = versionsOf(next).find((v) => v.storage === true);
    if (!target) return;
    const storageNow = versionsOf(full).find((v) => v.storage === true)?.name;
    let current = full;
    if (storageNow !== target.name) {
      const moved = structuredClone(full);
      for (const v of versionsOf(moved)) v.storage = v.name === target.name;
      // The apiextensions strategy adds the new storage version to storedVersions on this write.
      current = (await this.store.update(this.crdDef, ctx, undefined, crdName, () => moved)).object;
      log.info(`negotiation controller: ${ctx.cluster}: CRD ${crdName} stores ${target.name} now, not ${version}`);
    }
    const left = storedVersionsOf(current).filter((v) => v !== version);
    if (storedVersionsOf(current).includes(version)) {
      const status = structuredClone(current);
      (status.status as Record<string, unknown>).storedVersions = left.length ? left : [target.name];
      current = (await this.store.update(this.crdDef, ctx, undefined, crdName, () => status, { subresource: "status" }))
        .object;
    }
    const finalNext = structuredClone(next);
    finalNext.metadata.resourceVersion = current.metadata.resourceVersion;
    await this.store.update(this.crdDef, ctx, undefined, crdName, () => finalNext);
    log.info(`negotiation controller: ${ctx.cluster}: removed version ${version} from CRD ${crdName}`);
  }

  private negotiatedConditions(
    nar: KObject,
    g: Gvr,
    crd: KObject | undefined,
    enforced: boolean,
    submitted: ConditionValue | undefined,
  ): APIResourceCondition[] {
    let conds = conditionsOf(nar);
    const gen = nar.metadata.generation;
    if (submitted) conds = withCondition(conds, submitted);
    const set = (type: string, status: "True" | "False", reason: string, message: string) => {
      conds = withCondition(conds, { type, status, reason, message, observedGeneration: gen });
    };
    const has = (type: string) => conds.some((c) => c.type === type);
    if (!crd) {
      // Nothing published (yet): a condition said before says so now; none is added before a CRD exists.
      if (has(NegotiatedCondition.Published))
        set(
          NegotiatedCondition.Published,
          "False",
          "CRDNotFound",
          `the CRD ${crdNameFor(g.plural, g.group)} does not exist`,
        );
      if (has(NegotiatedCondition.Enforced))
        set(NegotiatedCondition.Enforced, "False", APIResourceReason.NegotiatedCRD, "");
      return conds;
    }
    const name = crd.metadata.name ?? "";
    if (enforced)
      set(
        NegotiatedCondition.Enforced,
        "True",
        APIResourceReason.ManualCRD,
        `the CRD ${name} was made by a user: its schema is enforced`,
      );
    else set(NegotiatedCondition.Enforced, "False", APIResourceReason.NegotiatedCRD, "");
    const ours = !isManualCRD(crd) && negotiatedRefOf(crd, nar.metadata.name ?? "")?.uid === nar.metadata.uid;
    if (enforced || ours) {
      const p = publishingState(crd, g.version);
      set(NegotiatedCondition.Published, p.status, p.reason, p.message);
    } else if (isManualCRD(crd)) {
      set(
        NegotiatedCondition.Published,
        "False",
        APIResourceReason.ManualCRD,
        `the CRD ${name} was made by a user and has no version ${g.version}`,
      );
    } else if (has(NegotiatedCondition.Published) || (nar.spec as Record<string, unknown>)?.publish === true) {
      set(
        NegotiatedCondition.Published,
        "False",
        APIResourceReason.NotPublished,
        `the CRD ${name} does not serve it yet`,
      );
    }
    return conds;
  }

  private async writeStatus(
    def: ResourceDef,
    ctx: RequestContext,
    obj: KObject,
    conditions: APIResourceCondition[],
  ): Promise<KObject> {
    const name = obj.metadata.name ?? "";
    const { object } = await this.store.update(
      def,
      ctx,
      undefined,
      name,
      (cur) => {
        if (cur.metadata.uid !== obj.metadata.uid) throw new Recreated(name);
        const status = isObject(cur.status) ? cur.status : {};
        return { ...cur, status: { ...status, conditions } };
      },
      { subresource: "status" },
    );
    return object;
  }
}
