// metadata.managedFields for whole objects, as kube-apiserver's default field manager keeps them:
// - every create, update and patch is an Update by its manager, which takes over the fields it
//   changed (entries of one manager, operation, apiVersion and subresource accumulate; the time is
//   that of the last change);
// - a server-side apply is an Apply: see updater.ts, plus kubectl's client-side apply interplay
//   (last-applied.ts) and the "before-first-apply" owner of objects that had no managed fields;
// - object identity and system fields (apiVersion, kind, metadata.name, namespace, uid, …) are
//   never owned, nor are fields the request cannot change (status on the main resource of kinds
//   with a status subresource, everything but status through /status).

import { setOwn } from "../../machinery/object.ts";
import { checkApplyLimits, tooDeepToTrack } from "./apply-limits.ts";
import { StatusError, errors } from "../../machinery/status.ts";
import { apiVersionOf, deepEqual, nowTimestamp } from "../object-codec.ts";
import { type SchemaNode, schemaNodeOf } from "../schema-node.ts";
import type { KObject, ResourceDef } from "../types.ts";
import { capUpdateManagers } from "./cap-managers.ts";
import { addedFieldsV1 } from "./compare.ts";
import { ConflictsError, conflictStatusError } from "./conflicts.ts";
import { FieldSet } from "./field-set.ts";
import {
  buildLastApplied,
  fieldsFromLastApplied,
  KUBECTL_SSA_MANAGER,
  LAST_APPLIED_ANNOTATION,
  lastAppliedOf,
} from "./last-applied.ts";
import { TypedValueError } from "./list-item-element.ts";
import {
  decodeManagedFields,
  encodeManagedFields,
  Managed,
  type ManagedFieldsEntry,
  managerIdentifier,
} from "./managed-fields.ts";
import { recordApply, recordUpdate, type UpdaterContext } from "./updater.ts";
import { capabilitiesOf } from "../capabilities.ts";

/** The owner kube gives every field of an object that is applied to for the first time without managed fields. */
export const BEFORE_FIRST_APPLY = "before-first-apply";
/** A placeholder manager for the request being recorded (never a JSON identifier, so never a real one). */
const CURRENT_OPERATION = "current-operation";

const f = (name: string) => ({ field: name });
const STRIPPED = FieldSet.of(
  [f("apiVersion")],
  [f("kind")],
  [f("metadata")],
  [f("metadata"), f("name")],
  [f("metadata"), f("namespace")],
  [f("metadata"), f("creationTimestamp")],
  [f("metadata"), f("selfLink")],
  [f("metadata"), f("uid")],
  [f("metadata"), f("clusterName")],
  [f("metadata"), f("generation")],
  [f("metadata"), f("managedFields")],
  [f("metadata"), f("resourceVersion")],
);

/** A server error without a reason: what kube answers for plain Go errors of its field manager. */
class PlainServerError extends StatusError {
  constructor(message: string) {
    super(500, "", message);
  }
  override toStatus() {
    const s = super.toStatus();
    delete s.reason;
    return s;
  }
}

export interface ManagedWrite {
  def: ResourceDef;
  /** The subresource written through, if any. */
  subresource?: string;
  /** The manager's name. */
  manager: string;
  /** Time of the write, RFC 3339 (defaults to now). */
  now?: string;
}

function withoutManagedFields(obj: KObject): KObject {
  const meta = { ...obj.metadata };
  delete meta.managedFields;
  return { ...obj, metadata: meta };
}

/** Fields a write through `subresource` cannot change, so that nobody gains or loses them. */
function ignoredFields(
  def: ResourceDef,
  subresource: string | undefined,
  ...objs: (KObject | undefined)[]
): FieldSet | undefined {
  if (subresource === undefined) return def.strategy.hasStatus ? FieldSet.of([f("status")]) : undefined;
  if (subresource !== "status") return undefined;
  const out = new FieldSet();
  for (const o of objs) {
    for (const k of Object.keys(o ?? {}))
      if (k !== "status" && k !== "metadata" && k !== "apiVersion" && k !== "kind") out.insert([f(k)]);
  }
  return out.isEmpty() ? undefined : out;
}

function updaterContext(w: ManagedWrite, node: SchemaNode, ...objs: (KObject | undefined)[]): UpdaterContext {
  return { node, version: apiVersionOf(w.def), ignored: ignoredFields(w.def, w.subresource, ...objs) };
}

/** `[{}]` (every entry empty) resets an object's managed fields, as kube documents. */
function isReset(requested: unknown): boolean {
  return (
    Array.isArray(requested) &&
    requested.length > 0 &&
    requested.every((e) => typeof e === "object" && e !== null && !Array.isArray(e) && Object.keys(e).length === 0)
  );
}

function decodeLive(obj: KObject | undefined): Managed {
  try {
    return decodeManagedFields(obj?.metadata?.managedFields);
  } catch (e) {
    throw new PlainServerError(`failed to decode managed fields: ${(e as Error).message}`);
  }
}

/** Move what the placeholder manager got into `id` (stamped `now`); system fields are dropped. */
function credit(managed: Managed, id: string, now: string): void {
  const cur = managed.fields.get(CURRENT_OPERATION);
  managed.fields.delete(CURRENT_OPERATION);
  managed.times.delete(CURRENT_OPERATION);
  if (!cur) return;
  const set = cur.set.difference(STRIPPED);
  if (set.isEmpty()) return;
  const prev = managed.fields.get(id);
  managed.fields.set(id, { set: prev ? set.union(prev.set) : set, apiVersion: cur.apiVersion, applied: false });
  managed.times.set(id, now);
}

function updaterId(w: ManagedWrite, manager = w.manager): string {
  return managerIdentifier({
    manager,
    operation: "Update",
    apiVersion: apiVersionOf(w.def),
    subresource: w.subresource,
  });
}

/**
 * The managedFields of an object written by a create (`live` undefined), update or patch.
 * `requested` is what the request's object carried: it replaces the stored entries when it
 * decodes to something (a client may rewrite managedFields), except through subresources.
 * Undefined means none (kube drops them when the object does not fit its schema).
 */
export function trackUpdate(
  w: ManagedWrite,
  live: KObject | undefined,
  next: KObject,
  requested: unknown,
): ManagedFieldsEntry[] | undefined {
  let managed: Managed;
  if (isReset(requested)) managed = new Managed();
  else {
    let fromRequest: Managed | undefined;
    if (w.subresource === undefined) {
      try {
        fromRequest = decodeManagedFields(requested);
      } catch {
        fromRequest = undefined;
      }
    }
    managed = fromRequest && !fromRequest.isEmpty() ? fromRequest : decodeLive(live);
  }
  const node = schemaNodeOf(w.def);
  const nextObj = withoutManagedFields(next);
  if (live === undefined && w.subresource === undefined && managed.isEmpty()) {
    // A create with no managed fields to start from: the manager owns every field of the object,
    // which is what comparing it with an empty object gives — its fieldsV1 written in one pass.
    let fieldsV1: Record<string, unknown> | undefined;
    try {
      fieldsV1 = addedFieldsV1(nextObj, node, STRIPPED, ignoredFields(w.def, undefined, next));
    } catch (e) {
      if (e instanceof TypedValueError) return undefined;
      throw e;
    }
    if (fieldsV1 === undefined) return undefined;
    // encodeManagedFields of the one entry.
    const entry: ManagedFieldsEntry = {};
    if (w.manager) entry.manager = w.manager;
    entry.operation = "Update";
    const apiVersion = apiVersionOf(w.def);
    if (apiVersion) entry.apiVersion = apiVersion;
    const time = w.now ?? nowTimestamp();
    if (time) entry.time = time;
    entry.fieldsType = "FieldsV1";
    entry.fieldsV1 = fieldsV1;
    return [entry];
  }
  if (tooDeepToTrack(nextObj, live && withoutManagedFields(live))) return undefined;
  const liveObj = live ? withoutManagedFields(live) : {};
  try {
    recordUpdate(updaterContext(w, node, live, next), liveObj, nextObj, managed.fields, CURRENT_OPERATION);
  } catch (e) {
    if (e instanceof TypedValueError) return undefined;
    throw e;
  }
  credit(managed, updaterId(w), w.now ?? nowTimestamp());
  capUpdateManagers(managed);
  return encodeManagedFields(managed);
}

/** kube's GroupVersionKind.String() of an object's apiVersion and kind: `/v1, Kind=ConfigMap`. */
function gvkString(obj: Record<string, unknown>): string {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const parts = apiVersion.split("/");
  let group = "";
  let version = "";
  if (parts.length === 1) version = parts[0] as string;
  else if (parts.length === 2) [group, version] = parts as [string, string];
  return `${group}/${version}, Kind=${kind}`;
}

/** What an apply body must be: of the URL's kind and version, without managedFields. */
export function checkApplyConfiguration(def: ResourceDef, config: Record<string, unknown>): void {
  const want = `${def.group}/${def.version}, Kind=${def.kind}`;
  const got = gvkString(config);
  if (got !== want) throw errors.badRequest(`invalid object type: ${got}`);
  const meta = config.metadata as Record<string, unknown> | undefined;
  if (meta && typeof meta === "object" && meta.managedFields !== undefined && meta.managedFields !== null) {
    throw errors.badRequest("metadata.managedFields must be nil");
  }
}

/** Null members of maps, recursively removed (built-in kinds decode null as "unset"). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, dropNulls(x));
    return out;
  }
  return v;
}

function objectName(config: KObject): string {
  const m = config.metadata ?? {};
  return `${typeof m.namespace === "string" ? m.namespace : ""}/${typeof m.name === "string" ? m.name : ""}`;
}

/**
 * Server-side apply of `config` by `w.manager` to `live` (undefined: the object does not exist
 * yet). Returns the object to write, with its managedFields. Throws 409 with the conflicts, unless
 * `force`.
 */
export function trackApply(w: ManagedWrite, live: KObject | undefined, config: KObject, force: boolean): KObject {
  checkApplyConfiguration(w.def, config);
  checkApplyLimits(config, live && withoutManagedFields(live));
  const now = w.now ?? nowTimestamp();
  const node = schemaNodeOf(w.def);
  let managed = decodeLive(live);
  const liveObj = live ? withoutManagedFields(live) : ({ metadata: {} } as KObject);
  const ctx = updaterContext(w, node, live, config);
  if (live && managed.isEmpty()) {
    recordUpdate(ctx, {}, liveObj, managed.fields, CURRENT_OPERATION);
    credit(managed, updaterId(w, BEFORE_FIRST_APPLY), now);
  }
  const id = managerIdentifier({ manager: w.manager, operation: "Apply", subresource: w.subresource });
  const attempt = (forced: boolean): { merged: unknown; trial: Managed } => {
    const trial = new Managed();
    for (const [k, v] of managed.fields) trial.fields.set(k, v);
    for (const [k, v] of managed.times) trial.times.set(k, v);
    const merged = recordApply(ctx, liveObj, config, trial.fields, id, forced);
    return { merged, trial };
  };
  let result: { merged: unknown; trial: Managed };
  try {
    try {
      result = attempt(force);
    } catch (e) {
      if (!(e instanceof ConflictsError)) throw e;
      // kubectl's own client-side-applied fields are not conflicts for kubectl's server-side apply.
      const allowed = w.manager === KUBECTL_SSA_MANAGER && live ? fieldsFromLastApplied(liveObj, node) : undefined;
      const rest = allowed ? e.conflicts.filter((c) => !allowed.has(c.path)) : e.conflicts;
      if (rest.length > 0) throw conflictStatusError(rest);
      result = attempt(true);
    }
  } catch (e) {
    // The apply configuration does not fit the schema: the client's mistake, so 400 with kube's words
    // (kube itself answers 500 here, kubernetes/kubernetes#139253; its fix, #139255, makes it 400).
    if (e instanceof TypedValueError)
      throw errors.badRequest(
        `failed to create typed patch object (${objectName(config)}; ${gvkString(config)}): ${e.message}`,
      );
    throw e;
  }
  managed = result.trial;
  const own = managed.fields.get(id);
  if (own) {
    const set = own.set.difference(STRIPPED);
    if (set.isEmpty()) managed.fields.delete(id);
    else managed.fields.set(id, { ...own, set });
  }
  let merged = (capabilitiesOf(w.def).keepsNullFields ? result.merged : dropNulls(result.merged)) as KObject;
  if (!merged.metadata || typeof merged.metadata !== "object") merged.metadata = {};
  if (deepEqual(merged, liveObj)) merged = structuredClone(liveObj);
  else managed.times.set(id, now);
  if (w.manager === KUBECTL_SSA_MANAGER && lastAppliedOf(merged) !== undefined) {
    merged.metadata.annotations = {
      ...merged.metadata.annotations,
      [LAST_APPLIED_ANNOTATION]: buildLastApplied(config),
    };
  }
  capUpdateManagers(managed);
  const entries = encodeManagedFields(managed);
  if (entries) merged.metadata.managedFields = entries;
  else delete merged.metadata.managedFields;
  return merged;
}
