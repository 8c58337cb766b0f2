// Spec down: make the physical cluster hold what kcp says for one key (namespace/name) of one
// resource type. Level-based: it compares the two caches, whatever event brought the key here, so
// a missed event, a restart of either side or a downstream edit all end the same way.
//
// - kcp has the object (and is not deleting it): the downstream copy is created (its namespace
//   first), or updated when it has drifted; a copy of an earlier kcp object of the same name is
//   replaced; an object that is not ours is never touched — that is a SyncError, reported on the
//   kcp object and retried (it may go away).
// - kcp has no such object labelled for this cluster (deleted, or the label removed or changed):
//   our copy is deleted, with uid and resourceVersion preconditions so that neither an object
//   recreated downstream meanwhile (the seed raced here) nor our copy taken over meanwhile by the
//   syncer of another Cluster on the same physical cluster (the object moved east→west: same uid,
//   new label) is deleted in its place. On a conflict the live object is read again and deleted
//   only if it is still this cluster's copy.

import type { Informer } from "../../client/informer.ts";
import type { ResourceClient } from "../../client/dynamic-client.ts";
import { log } from "../../log.ts";
import type { KObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";
import type { DownstreamNamespaces } from "./downstream-namespaces.ts";
import {
  foreignFields,
  hasDrifted,
  isFromLogicalCluster,
  ownershipOf,
  toDownstream,
  updateFor,
} from "./downstream-object.ts";
import { CLUSTER_LABEL, LOGICAL_CLUSTER_ANNOTATION } from "./labels.ts";
import type { SyncedResource } from "./resource-discovery.ts";
import { SyncError } from "./sync-errors.ts";

/** One resource type's two sides: clients and label-selected caches. */
export interface ResourceSides {
  res: SyncedResource;
  upstream: ResourceClient;
  downstream: ResourceClient;
  upCache: Informer;
  downCache: Informer;
}

export interface SpecDownContext {
  logicalCluster: string;
  /** The kcp installation's identity (UPSTREAM_IDENTITY_ANNOTATION): copies without it are not ours. */
  identity: string;
  clusterName: string;
  namespaces: DownstreamNamespaces;
  /**
   * Per downstream uid: fields others still own after our last update of it (defaulted again by the
   * server, so the update could not take them away). Not drift: updating again would change
   * nothing, forever.
   */
  tolerated?: Map<string, Set<string>>;
}

/** The syncer's field manager downstream (and in kcp for status). */
export const FIELD_MANAGER = "kcp-syncer";

/** Make downstream match kcp for `namespace/name`; throws to be retried. Returns what it did (for logs and tests). */
export async function syncSpecDown(
  ctx: SpecDownContext,
  sides: ResourceSides,
  namespace: string,
  name: string,
): Promise<"created" | "updated" | "deleted" | "unchanged"> {
  const up = sides.upCache.get(namespace, name);
  const cached = sides.downCache.get(namespace, name);
  if (!up || up.metadata.deletionTimestamp) {
    if (cached && isFromLogicalCluster(cached, ctx.logicalCluster, ctx.identity)) {
      if (!(await deleteCopy(ctx, sides, cached))) return "unchanged";
      log.debug(`syncer ${ctx.clusterName}: deleted ${sides.res.gr} ${namespace}/${name} downstream`);
      return "deleted";
    }
    return "unchanged";
  }
  const desired = toDownstream(up, {
    logicalCluster: ctx.logicalCluster,
    hasStatus: sides.res.hasStatus,
    identity: ctx.identity,
  });
  let down = cached ? await usable(ctx, sides, up, cached) : undefined;
  if (!down) {
    down = await create(ctx, sides, up, desired);
    if (!down) return "created";
  }
  const drift = (actual: KObject) =>
    hasDrifted(desired, actual, {
      fieldManager: FIELD_MANAGER,
      tolerated: ctx.tolerated?.get(actual.metadata.uid ?? ""),
    });
  if (!drift(down)) return "unchanged";
  try {
    remember(ctx, desired, await sides.downstream.update(updateFor(desired, down), { fieldManager: FIELD_MANAGER }));
  } catch (e) {
    if (!isStatusError(e) || e.code !== 409) throw e;
    // The cache was behind (our own last write, or a downstream edit): once more from the live object.
    const live = await usable(ctx, sides, up, await sides.downstream.get(name, namespace));
    if (!live) throw new Error(`${sides.res.gr} ${namespace}/${name} changed downstream meanwhile; retrying`);
    if (!drift(live)) return "unchanged";
    remember(ctx, desired, await sides.downstream.update(updateFor(desired, live), { fieldManager: FIELD_MANAGER }));
  }
  log.debug(`syncer ${ctx.clusterName}: updated ${sides.res.gr} ${namespace}/${name} downstream`);
  return "updated";
}

/** What others still own in the copy our update left (see SpecDownContext.tolerated). */
function remember(ctx: SpecDownContext, desired: KObject, written: KObject): void {
  const uid = written?.metadata?.uid;
  if (!ctx.tolerated || !uid) return;
  const left = foreignFields(desired, written, FIELD_MANAGER);
  if (left.length > 0) ctx.tolerated.set(uid, new Set(left));
  else ctx.tolerated.delete(uid);
}

/**
 * The downstream object if it is our copy of `up`; undefined when it was our copy of an earlier
 * kcp object of that name (deleted here, to be created afresh); a SyncError when it is not ours.
 */
async function usable(
  ctx: SpecDownContext,
  sides: ResourceSides,
  up: KObject,
  down: KObject,
): Promise<KObject | undefined> {
  const owner = ownershipOf(down, ctx.logicalCluster, up.metadata.uid, ctx.identity);
  if (owner === "ours") return down;
  if (owner === "stale") {
    if (!(await deleteCopy(ctx, sides, down, false))) {
      throw new Error(`${sides.res.gr} ${down.metadata.namespace}/${down.metadata.name} changed downstream meanwhile`);
    }
    return undefined;
  }
  const other = down.metadata.annotations?.[LOGICAL_CLUSTER_ANNOTATION];
  const whose =
    other === ctx.logicalCluster
      ? `belongs to logical cluster ${other} of another kcp`
      : other
        ? `belongs to logical cluster ${other}`
        : "was not created by kcp";
  throw new SyncError(
    `${sides.res.gr} ${down.metadata.namespace}/${down.metadata.name} already exists in the physical cluster and ` +
      whose +
      "; it is left alone",
  );
}

/** Create the copy; undefined when created, or the live downstream object when one was already there (ours). */
async function create(
  ctx: SpecDownContext,
  sides: ResourceSides,
  up: KObject,
  desired: KObject,
): Promise<KObject | undefined> {
  const { namespace = "", name = "" } = desired.metadata;
  await ctx.namespaces.ensure(namespace);
  try {
    await sides.downstream.create(desired, { namespace, fieldManager: FIELD_MANAGER });
    log.debug(`syncer ${ctx.clusterName}: created ${sides.res.gr} ${namespace}/${name} downstream`);
    return undefined;
  } catch (e) {
    if (!isStatusError(e)) throw e;
    if (e.code === 404) {
      ctx.namespaces.forget(namespace);
      throw e;
    }
    if (e.code !== 409) throw e;
  }
  // There already is one the cache did not show (not labelled for this cluster, or not seen yet).
  const live = await usable(ctx, sides, up, await sides.downstream.get(name, namespace));
  if (!live) throw new Error(`replaced a stale copy of ${sides.res.gr} ${namespace}/${name}; creating it next`);
  return live;
}

/**
 * Delete copy `down` as last seen; true when it is gone. A conflict (the copy changed since) is
 * settled on the live object: deleted if it is still ours and (with `ownLabel`) still labelled for
 * this cluster, else left alone (false).
 */
async function deleteCopy(
  ctx: SpecDownContext,
  sides: ResourceSides,
  down: KObject,
  ownLabel = true,
): Promise<boolean> {
  const { name = "", namespace, uid } = down.metadata;
  let resourceVersion = down.metadata.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    try {
      await sides.downstream.delete(name, { namespace, preconditions: { uid, resourceVersion } });
      if (uid) ctx.tolerated?.delete(uid);
      return true;
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return true;
      if (!isStatusError(e) || e.code !== 409 || attempt > 0) throw e;
    }
    let live: KObject;
    try {
      live = await sides.downstream.get(name, namespace);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return true;
      throw e;
    }
    const stillOurs =
      live.metadata.uid === uid &&
      isFromLogicalCluster(live, ctx.logicalCluster, ctx.identity) &&
      (!ownLabel || live.metadata.labels?.[CLUSTER_LABEL] === ctx.clusterName);
    if (!stillOurs) return false;
    resourceVersion = live.metadata.resourceVersion;
  }
}
