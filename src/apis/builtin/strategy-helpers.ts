// Pieces every built-in kind's definition shares: verb sets, the status split, and safe access to
// the loosely typed JSON objects strategies receive.

import { clone } from "../object-codec.ts";
import type { KObject, ResourceDef, SubresourceDef, Verb } from "../types.ts";
import { isObject, setOwn } from "../../machinery/object.ts";
import { BUILTIN_CAPABILITIES } from "../capabilities.ts";

/** The verbs of a kind kept in storage (sorted, as discovery lists them). */
export const STORED_VERBS: Verb[] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
/** Namespaces are the one in-scope stored kind without deletecollection. */
export const STORED_VERBS_NO_COLLECTION: Verb[] = ["create", "delete", "get", "list", "patch", "update", "watch"];
/** The review APIs answer POST and nothing else. */
export const CREATE_ONLY: Verb[] = ["create"];
/** What a status-like subresource (status, approval) serves. */
export const SUBRESOURCE_RW_VERBS: Verb[] = ["get", "patch", "update"];

export function statusSubresource(): SubresourceDef {
  return { name: "status", verbs: SUBRESOURCE_RW_VERBS };
}

/** The fields every built-in definition has in common, so each kind states only what differs. */
export function builtin(
  def: Omit<ResourceDef, "source" | "capabilities" | "listKind" | "mode" | "subresources"> &
    Partial<Pick<ResourceDef, "listKind" | "mode" | "subresources">>,
): ResourceDef {
  return {
    ...def,
    listKind: def.listKind ?? `${def.kind}List`,
    mode: def.mode ?? "stored",
    subresources: def.subresources ?? [],
    source: "builtin",
    capabilities: BUILTIN_CAPABILITIES,
  };
}

// ---- the status split ----

/** Main-resource updates keep the stored status (kube's PrepareForUpdate for kinds with /status). */
export function keepStatus(obj: KObject, old: KObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = clone(old.status);
}

/**
 * Status updates keep everything but status (and metadata, whose system fields the store resets;
 * labels and annotations may change through /status, as on kube for most kinds).
 */
export function keepAllButStatus(obj: KObject, old: KObject): void {
  const kept = (k: string) => k === "apiVersion" || k === "kind" || k === "metadata" || k === "status";
  for (const k of Object.keys(obj)) if (!kept(k)) delete obj[k];
  for (const [k, v] of Object.entries(old)) if (!kept(k)) setOwn(obj, k, clone(v));
}

// ---- JSON access ----

export {
  ensureObject,
  type JsonObject,
  objectAt,
  objects,
  str,
  stringMap,
  strings,
} from "../../machinery/json-access.ts";

/** A string of a field-selector value; selectors compare strings. */
export function fieldValue(obj: KObject, ...path: string[]): string {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isObject(cur)) return "";
    cur = cur[p];
  }
  return typeof cur === "string" ? cur : typeof cur === "number" || typeof cur === "boolean" ? String(cur) : "";
}

/** Go's zero values: absent, null, "", 0, false, [] and {} all mean "not set". */
export function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  return false;
}
