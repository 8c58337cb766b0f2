// What the syncer writes in the physical cluster for one kcp object, and how it tells its own
// copies from anyone else's.
//
// The copy is the kcp object without what the kcp server set or what only means something in
// kcp: uid, resourceVersion, creationTimestamp, generation, managedFields, deletionTimestamp
// (the seed copied these verbatim and left the downstream server to reset them). Every
// ownerReference is dropped: its uid names an object in kcp, and a garbage collector downstream
// would delete a dependent whose owner uid it cannot find. Finalizers are dropped too: the
// controllers that would remove them run in kcp, so a downstream delete would hang forever.
// Where the kind has a status subresource, status is not sent down (it flows up instead).
// Ownership annotations say which logical cluster and which kcp object (uid) the copy belongs to.

import { CLUSTER_ANNOTATION, deepEqual } from "../../apis/object-codec.ts";
import type { KObject, ObjectMeta } from "../../machinery/object.ts";
import { isObject } from "../../machinery/object.ts";
import {
  LOGICAL_CLUSTER_ANNOTATION,
  UPSTREAM_GENERATION_ANNOTATION,
  UPSTREAM_IDENTITY_ANNOTATION,
  UPSTREAM_UID_ANNOTATION,
} from "./labels.ts";

/** Annotations kcp adds to objects it serves that must not travel (the wildcard view's cluster name). */
const KCP_ONLY_ANNOTATIONS = new Set([CLUSTER_ANNOTATION]);

/** Top-level fields that are not the object's content: compared and written separately. */
const NOT_CONTENT = new Set(["apiVersion", "kind", "metadata", "status"]);

export interface CopyOptions {
  /** The logical cluster of the kcp object. */
  logicalCluster: string;
  /** The kind has a status subresource: status stays out of the copy. */
  hasStatus: boolean;
  /** The kcp installation's identity (UPSTREAM_IDENTITY_ANNOTATION); absent: not written. */
  identity?: string;
}

/** The object the physical cluster should hold for kcp object `up`. */
export function toDownstream(up: KObject, opts: CopyOptions): KObject {
  const m = up.metadata;
  const meta: ObjectMeta = { name: m.name, namespace: m.namespace };
  if (m.labels && Object.keys(m.labels).length > 0) meta.labels = { ...m.labels };
  const annotations: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    if (!KCP_ONLY_ANNOTATIONS.has(k) && !isOwnershipKey(k)) annotations[k] = v;
  }
  annotations[LOGICAL_CLUSTER_ANNOTATION] = opts.logicalCluster;
  annotations[UPSTREAM_UID_ANNOTATION] = m.uid ?? "";
  if (opts.identity !== undefined) annotations[UPSTREAM_IDENTITY_ANNOTATION] = opts.identity;
  if (typeof m.generation === "number") annotations[UPSTREAM_GENERATION_ANNOTATION] = String(m.generation);
  meta.annotations = { ...annotations };
  const out: KObject = { apiVersion: up.apiVersion, kind: up.kind, metadata: meta };
  for (const [k, v] of Object.entries(up)) {
    if (NOT_CONTENT.has(k)) continue;
    out[k] = structuredClone(v);
  }
  if (!opts.hasStatus && up.status !== undefined) out.status = structuredClone(up.status);
  return out;
}

function isOwnershipKey(k: string): boolean {
  return (
    k === LOGICAL_CLUSTER_ANNOTATION ||
    k === UPSTREAM_UID_ANNOTATION ||
    k === UPSTREAM_GENERATION_ANNOTATION ||
    k === UPSTREAM_IDENTITY_ANNOTATION
  );
}

export type Ownership =
  /** Synced from this logical cluster, from the kcp object with this uid. */
  | "ours"
  /** Synced from this logical cluster, but from an earlier kcp object of the same name (deleted, recreated). */
  | "stale"
  /** Someone else's: another logical cluster's (or another kcp's), or not written by a syncer at all. */
  | "foreign";

/**
 * Whose downstream object `down` is, seen from logical cluster `logicalCluster` of the kcp whose
 * identity is `identity` (when given, the copy's identity annotation must be it) and kcp object
 * uid `upUid`.
 */
export function ownershipOf(
  down: KObject,
  logicalCluster: string,
  upUid: string | undefined,
  identity?: string,
): Ownership {
  const a = down.metadata.annotations ?? {};
  if (!Object.hasOwn(a, LOGICAL_CLUSTER_ANNOTATION) || a[LOGICAL_CLUSTER_ANNOTATION] !== logicalCluster) {
    return "foreign";
  }
  if (
    identity !== undefined &&
    (!Object.hasOwn(a, UPSTREAM_IDENTITY_ANNOTATION) || a[UPSTREAM_IDENTITY_ANNOTATION] !== identity)
  ) {
    return "foreign";
  }
  if (upUid !== undefined && a[UPSTREAM_UID_ANNOTATION] !== upUid) return "stale";
  return "ours";
}

/** True when `down` is a copy written by this logical cluster's syncer (whatever kcp object it came from). */
export function isFromLogicalCluster(down: KObject, logicalCluster: string, identity?: string): boolean {
  return ownershipOf(down, logicalCluster, undefined, identity) !== "foreign";
}

/**
 * True when the downstream object no longer says what kcp says: a field the copy sets has another
 * value, a label or annotation it sets is missing or different. Fields the copy does not set are
 * not compared: the downstream server fills in defaults (a Deployment's strategy, a container's
 * imagePullPolicy) and other controllers add annotations, and treating those as drift would make
 * the syncer fight them forever.
 */
export function hasDrifted(desired: KObject, actual: KObject): boolean {
  if (!covers(desired.metadata.labels ?? {}, actual.metadata.labels ?? {})) return true;
  if (!covers(desired.metadata.annotations ?? {}, actual.metadata.annotations ?? {})) return true;
  for (const [k, v] of Object.entries(desired)) {
    if (k === "apiVersion" || k === "kind" || k === "metadata") continue;
    if (!covers(v, actual[k])) return true;
  }
  return false;
}

/** `want` is contained in `have`: objects by key (extra keys in `have` allowed), arrays element by element. */
function covers(want: unknown, have: unknown): boolean {
  if (isObject(want)) {
    if (!isObject(have)) return false;
    for (const [k, v] of Object.entries(want)) {
      if (v === undefined) continue;
      if (!Object.hasOwn(have, k) || !covers(v, have[k])) return false;
    }
    return true;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => covers(w, have[i]));
  }
  return deepEqual(want, have);
}

/**
 * The body of an update that makes `actual` say what `desired` says: the content fields become
 * the desired ones (server defaults are filled in again), labels become kcp's, annotations kcp's
 * over whatever others downstream added; status, where the kind has a subresource, is the
 * downstream one (the server ignores it on this path anyway). The resourceVersion is `actual`'s,
 * so a concurrent downstream write makes the update fail and the key is worked on again.
 */
export function updateFor(desired: KObject, actual: KObject): KObject {
  const meta: ObjectMeta = { ...actual.metadata };
  delete meta.managedFields;
  meta.labels = { ...(desired.metadata.labels ?? {}) };
  meta.annotations = { ...(actual.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) };
  const out: KObject = { apiVersion: desired.apiVersion, kind: desired.kind, metadata: meta };
  for (const [k, v] of Object.entries(desired)) if (!NOT_CONTENT.has(k)) out[k] = v;
  out.status = desired.status ?? actual.status;
  if (out.status === undefined) delete out.status;
  return out;
}

/**
 * The status kcp's object should get from downstream object `down`. `observedGeneration` (at the
 * top of status and in conditions) counts the physical cluster's generations; it is translated to
 * kcp's generation, recorded on the copy when it was written, so that kcp clients comparing it with
 * their object's generation get the answer they expect. A downstream controller that has not
 * caught up stays as many generations behind in kcp's numbering.
 */
export function upstreamStatus(down: KObject): unknown {
  const status = down.status;
  if (!isObject(status)) return status === undefined ? undefined : structuredClone(status);
  const out = structuredClone(status);
  const recorded = Number(down.metadata.annotations?.[UPSTREAM_GENERATION_ANNOTATION]);
  const downGen = down.metadata.generation;
  if (!Number.isInteger(recorded) || typeof downGen !== "number") return out;
  const translate = (observed: unknown) =>
    typeof observed === "number" ? Math.max(0, recorded - Math.max(0, downGen - observed)) : observed;
  if (Object.hasOwn(out, "observedGeneration")) out.observedGeneration = translate(out.observedGeneration);
  if (Array.isArray(out.conditions)) {
    for (const c of out.conditions) {
      if (isObject(c) && Object.hasOwn(c, "observedGeneration")) c.observedGeneration = translate(c.observedGeneration);
    }
  }
  return out;
}
