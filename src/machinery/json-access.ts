// Reading parsed JSON the way Go reads an unstructured object: a missing or mistyped field reads as
// the zero value ("" for a string, {} for an object, [] for a list), never as an exception.

import { isObject, setOwn } from "./object.ts";

export type JsonObject = Record<string, unknown>;

/** `v` when it is an object, else an empty object to read from. */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** The object at `o[key]`, or an empty object to read from (not attached). */
export function objectAt(o: JsonObject, key: string): JsonObject {
  return obj(Object.hasOwn(o, key) ? o[key] : undefined);
}

/** The object at `o[key]`, created when absent, to write into. */
export function ensureObject(o: JsonObject, key: string): JsonObject {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (isObject(v)) return v;
  const created: JsonObject = {};
  setOwn(o, key, created);
  return created;
}

/** A string field as Go sees it: absent and null are "". */
export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** The strings of a list (other items dropped). */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** The items of a list as objects (an item that is not one reads as {}). */
export function objects(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

/** The string values of a map (other values dropped). */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, s] of Object.entries(v)) if (typeof s === "string") setOwn(out, k, s);
  return out;
}
