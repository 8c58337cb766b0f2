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

import { createHash } from "node:crypto";
import { CLUSTER_ANNOTATION, deepEqual } from "../../apis/object-codec.ts";
import type { KObject, ObjectMeta } from "../../machinery/object.ts";
import { isObject } from "../../machinery/object.ts";
import {
  DESIRED_HASH_ANNOTATION,
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
  const out: KObject = { apiVersion: up.apiVersion, kind: up.kind, metadata: meta };
  for (const [k, v] of Object.entries(up)) {
    if (NOT_CONTENT.has(k)) continue;
    setOwn(out, k, structuredClone(v));
  }
  if (!opts.hasStatus && up.status !== undefined) out.status = structuredClone(up.status);
  annotations[DESIRED_HASH_ANNOTATION] = contentHash(out);
  meta.annotations = { ...annotations };
  return out;
}

/**
 * out[k] = v for a key from someone's object: `out.__proto__ = …` would replace out's prototype
 * (and drop the field) where an own property is meant.
 */
function setOwn(out: object, k: string, v: unknown): void {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A short hash of an object's content (all but apiVersion, kind and metadata), keys in any order. */
export function contentHash(obj: KObject): string {
  const content: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort())
    if (k !== "apiVersion" && k !== "kind" && k !== "metadata") setOwn(content, k, obj[k]);
  return createHash("sha256").update(canonicalJson(content)).digest("base64url").slice(0, 22);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function isOwnershipKey(k: string): boolean {
  return (
    k === LOGICAL_CLUSTER_ANNOTATION ||
    k === UPSTREAM_UID_ANNOTATION ||
    k === UPSTREAM_GENERATION_ANNOTATION ||
    k === UPSTREAM_IDENTITY_ANNOTATION ||
    k === DESIRED_HASH_ANNOTATION
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

export interface DriftOptions {
  /** The syncer's field manager: fields others own downstream that kcp does not set are drift. */
  fieldManager?: string;
  /** Paths ("spec.paused") others own that are not drift: left owned after our own last update. */
  tolerated?: ReadonlySet<string>;
}

/**
 * True when the downstream object no longer says what kcp says:
 * - a label or annotation the copy sets is missing or different — the desired-hash annotation among
 *   them, so any change of kcp's object (a field or list item removed too) is drift;
 * - a field the copy sets has another value. Fields the copy does not set are not compared: the
 *   downstream server fills in defaults (a Deployment's strategy, a container's imagePullPolicy)
 *   and admission appends list items (a Pod's service account volume, default tolerations), so a
 *   list is covered when it starts with the copy's items;
 * - with `fieldManager`: someone else (not through a subresource) owns a field or list item the
 *   copy does not set (`spec.paused: true` added with kubectl edit). Defaults are owned by nobody
 *   and admission's additions by the writer, so neither counts.
 * Treating defaults as drift would make the syncer fight the server forever.
 */
export function hasDrifted(desired: KObject, actual: KObject, opts: DriftOptions = {}): boolean {
  if (!covers(desired.metadata.labels ?? {}, actual.metadata.labels ?? {})) return true;
  if (!covers(desired.metadata.annotations ?? {}, actual.metadata.annotations ?? {})) return true;
  for (const [k, v] of Object.entries(desired)) {
    if (k === "apiVersion" || k === "kind" || k === "metadata") continue;
    if (!covers(v, actual[k])) return true;
  }
  if (opts.fieldManager === undefined) return false;
  const tolerated = opts.tolerated;
  return foreignFields(desired, actual, opts.fieldManager).some((p) => !tolerated?.has(p));
}

/** `want` is contained in `have`: objects by key (extra keys in `have` allowed), arrays as a prefix. */
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
    if (!Array.isArray(have) || have.length < want.length) return false;
    return want.every((w, i) => covers(w, have[i]));
  }
  return deepEqual(want, have);
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/**
 * Paths of content fields (and list items) that managers other than `fieldManager` own in
 * `actual`'s managedFields, through the main resource, where `desired` sets nothing. Status and
 * metadata are not looked at (others may annotate; status is the physical cluster's).
 */
export function foreignFields(desired: KObject, actual: KObject, fieldManager: string): string[] {
  const out: string[] = [];
  const entries = actual.metadata.managedFields as ManagedFieldsEntry[] | undefined;
  if (!Array.isArray(entries)) return out;
  for (const e of entries) {
    if (!isObject(e) || e.manager === fieldManager || e.subresource || !isObject(e.fieldsV1)) continue;
    for (const [key, sub] of Object.entries(e.fieldsV1)) {
      if (!key.startsWith("f:")) continue;
      const name = key.slice(2);
      if (NOT_CONTENT.has(name) || name === "apiVersion" || name === "kind") continue;
      walkOwned(sub, Object.hasOwn(desired, name) ? desired[name] : undefined, name, out, 0);
    }
  }
  return out;
}

/** Bounded walk of one fieldsV1 subtree beside the desired value; unset paths are pushed to `out`. */
function walkOwned(owned: unknown, want: unknown, path: string, out: string[], depth: number): void {
  if (want === undefined) {
    out.push(path);
    return;
  }
  if (!isObject(owned) || depth > 32 || out.length > 100) return;
  for (const [key, sub] of Object.entries(owned)) {
    if (key === ".") continue;
    if (key.startsWith("f:")) {
      const name = key.slice(2);
      walkOwned(
        sub,
        isObject(want) && Object.hasOwn(want, name) ? want[name] : undefined,
        `${path}.${name}`,
        out,
        depth + 1,
      );
    } else if (key.startsWith("k:") && Array.isArray(want)) {
      let fields: unknown;
      try {
        fields = JSON.parse(key.slice(2));
      } catch {
        continue;
      }
      if (!isObject(fields)) continue;
      const item = want.find(
        (w) => isObject(w) && Object.entries(fields as object).every(([f, v]) => deepEqual(w[f], v)),
      );
      walkOwned(sub, item, `${path}[${key.slice(2)}]`, out, depth + 1);
    } else if (key.startsWith("v:") && Array.isArray(want)) {
      let value: unknown;
      try {
        value = JSON.parse(key.slice(2));
      } catch {
        continue;
      }
      if (!want.some((w) => deepEqual(w, value))) out.push(`${path}[${key.slice(2)}]`);
    } else if (key.startsWith("i:") && Array.isArray(want)) {
      walkOwned(sub, want[Number(key.slice(2))], `${path}[${key.slice(2)}]`, out, depth + 1);
    }
  }
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
  for (const [k, v] of Object.entries(desired)) if (!NOT_CONTENT.has(k)) setOwn(out, k, v);
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

/**
 * What the syncer's caches keep of an object: managedFields cost more memory than the rest of most
 * objects and nothing reads kcp's. Downstream, only the entries drift looks at stay (other managers
 * writing through the main resource; see foreignFields).
 */
export function forCache(obj: KObject, keepForeignOf?: string): KObject {
  const entries = obj.metadata.managedFields;
  if (entries === undefined) return obj;
  const meta: ObjectMeta = { ...obj.metadata };
  delete meta.managedFields;
  if (keepForeignOf !== undefined && Array.isArray(entries)) {
    const foreign = (entries as ManagedFieldsEntry[]).filter(
      (e) => isObject(e) && e.manager !== keepForeignOf && !e.subresource,
    );
    if (foreign.length > 0) meta.managedFields = foreign as ObjectMeta["managedFields"];
  }
  return { ...obj, metadata: meta };
}
