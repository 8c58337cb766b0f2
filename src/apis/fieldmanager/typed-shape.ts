// How a value is walked against its schema node: granular maps (structs and maps, unless
// `x-kubernetes-map-type: atomic`) and granular lists (set and map lists) are entered; everything
// else — scalars, atomic lists and maps, untyped lists, values that do not match their schema —
// is a leaf, owned and replaced as a whole.

import type { SchemaNode } from "../schema-node.ts";
import { isObject } from "../../machinery/object.ts";

/** A map value walked key by key. */
export function isGranularMap(v: unknown, node: SchemaNode): v is Record<string, unknown> {
  return isObject(v) && (node.kind === "struct" || node.kind === "map" || node.kind === "untyped") && !node.atomicMap;
}

/** A list value walked item by item. */
export function isGranularList(v: unknown, node: SchemaNode): v is unknown[] {
  return Array.isArray(v) && node.kind === "list" && node.listType !== "atomic";
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/**
 * Whether two values at one node compare (and merge) as leaves: not both granular containers of
 * one shape, or both empty (which keeps the difference between empty and absent).
 */
export function isLeafPair(l: unknown, r: unknown, node: SchemaNode): boolean {
  if (isEmptyContainer(l) && isEmptyContainer(r)) return true;
  const granular = (v: unknown) => v === undefined || isGranularMap(v, node) || isGranularList(v, node);
  if (!granular(l) || !granular(r)) return true;
  if (l !== undefined && r !== undefined && Array.isArray(l) !== Array.isArray(r)) return true;
  return false;
}
