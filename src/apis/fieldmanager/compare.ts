// What changed between two versions of an object, as field sets (structured-merge-diff's
// Compare): leaves added, removed or modified, and containers added or removed as a whole.
// Items of granular lists are matched by their path element (key or value), not position.

import { deepEqual } from "../object-codec.ts";
import type { SchemaNode } from "../schema-node.ts";
import { FieldSet } from "./field-set.ts";
import { listItemElement } from "./list-item-element.ts";
import { comparePathElements, compareStrings, type PathElement, serializePathElement } from "./path-element.ts";
import { isGranularMap, isLeafPair } from "./typed-shape.ts";
import { BoundedMemo } from "../../util/bounded-memo.ts";

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function compareValues(lhs: unknown, rhs: unknown, node: SchemaNode): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walk(lhs, rhs, node, [], out);
  return out;
}

/** The items of a granular list by serialized path element (the first of duplicates wins). */
export function indexItems(
  list: unknown[] | undefined,
  node: SchemaNode,
): Map<string, { pe: PathElement; item: unknown }> {
  const out = new Map<string, { pe: PathElement; item: unknown }>();
  (list ?? []).forEach((item, i) => {
    const pe = listItemElement(node, item, i);
    const k = serializePathElement(pe);
    if (!out.has(k)) out.set(k, { pe, item });
  });
  return out;
}

function walk(l: unknown, r: unknown, node: SchemaNode, path: PathElement[], out: Comparison): void {
  if (l === undefined && r === undefined) return;
  if (isLeafPair(l, r, node)) {
    if (path.length === 0) return;
    if (l === undefined) out.added.insert(path);
    else if (r === undefined) out.removed.insert(path);
    else if (!deepEqual(l, r)) out.modified.insert(path);
    return;
  }
  const sample = l ?? r;
  if (Array.isArray(sample)) {
    const items = node.items();
    const li = indexItems(l as unknown[] | undefined, node);
    const ri = indexItems(r as unknown[] | undefined, node);
    for (const [k, { pe, item }] of li) walk(item, ri.get(k)?.item, items, [...path, pe], out);
    for (const [k, { pe, item }] of ri) if (!li.has(k)) walk(undefined, item, items, [...path, pe], out);
  } else if (isGranularMap(sample, node)) {
    const lo = (l ?? {}) as Record<string, unknown>;
    const ro = (r ?? {}) as Record<string, unknown>;
    for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
      const sub = node.field(k);
      if (!sub) continue;
      walk(lo[k], ro[k], sub, [...path, { field: k }], out);
    }
  }
  if (path.length === 0) return;
  if (l === undefined) out.added.insert(path);
  else if (r === undefined) out.removed.insert(path);
}

/**
 * The fieldsV1 JSON of `compareValues({}, value, node).added.difference(strip)
 * .recursiveDifference(ignored)`, written directly in structured-merge-diff's key order without
 * building a set: what a create with no managed fields records. Undefined when the set would be
 * empty. Throws TypedValueError where compareValues would (also for values under ignored paths,
 * which it walks too).
 */
export function addedFieldsV1(
  value: unknown,
  node: SchemaNode,
  strip: FieldSet,
  ignored: FieldSet | undefined,
): Record<string, unknown> | undefined {
  if (isLeafPair({}, value, node) || !isGranularMap({}, node)) return undefined;
  return mapFieldsV1(value as Record<string, unknown>, node, strip, ignored, false);
}

/** The fieldsV1 of one walked element (serialized `key`) of value `r` into its parent's entries. */
function elementFieldsV1(
  r: unknown,
  node: SchemaNode,
  key: string,
  strip: FieldSet | undefined,
  ignored: FieldSet | undefined,
): Record<string, unknown> | undefined {
  const member = !strip?.hasMemberKey(key);
  let out: Record<string, unknown> | undefined;
  if (!isLeafPair(undefined, r, node)) {
    const childStrip = strip?.childKey(key);
    const childIgnored = ignored?.childKey(key);
    out = Array.isArray(r)
      ? listFieldsV1(r, node, childStrip, childIgnored, member)
      : mapFieldsV1(r as Record<string, unknown>, node, childStrip, childIgnored, member);
  }
  if (ignored?.hasMemberKey(key)) return undefined;
  return out ?? (member ? {} : undefined);
}

/**
 * `f:<name>`, the serialized path element of a field, made once per name: a fresh concatenation
 * would be hashed again by every set lookup and object key it serves as. Bounded in count and in
 * name length (at most 4096 × 64 characters), since map keys (labels, data) come from users.
 */
const fieldKeys = new BoundedMemo((name) => `f:${name}`, 4096, 64);
function fieldKey(name: string): string {
  return fieldKeys.get(name);
}

function mapFieldsV1(
  o: Record<string, unknown>,
  node: SchemaNode,
  strip: FieldSet | undefined,
  ignored: FieldSet | undefined,
  self: boolean,
): Record<string, unknown> | undefined {
  const names: string[] = [];
  const values: Record<string, unknown>[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) continue;
    const sub = node.field(k);
    if (!sub) continue;
    const e = elementFieldsV1(v, sub, fieldKey(k), strip, ignored);
    if (e === undefined) continue;
    // Insertion sort by name: objects have few fields, and usually arrive nearly sorted.
    let i = names.length;
    while (i > 0 && compareStrings(names[i - 1] as string, k) > 0) i--;
    names.splice(i, 0, k);
    values.splice(i, 0, e);
  }
  if (names.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  if (self) out["."] = {};
  for (let i = 0; i < names.length; i++) out[fieldKey(names[i] as string)] = values[i];
  return out;
}

function listFieldsV1(
  list: unknown[],
  node: SchemaNode,
  strip: FieldSet | undefined,
  ignored: FieldSet | undefined,
  self: boolean,
): Record<string, unknown> | undefined {
  const items = node.items();
  const entries: { pe: PathElement; key: string; fields: Record<string, unknown> | undefined }[] = [];
  for (const { pe, item } of indexItems(list, node).values()) {
    if (item === undefined) continue;
    const key = serializePathElement(pe);
    entries.push({ pe, key, fields: elementFieldsV1(item, items, key, strip, ignored) });
  }
  entries.sort((a, b) => comparePathElements(a.pe, b.pe));
  let out: Record<string, unknown> | undefined;
  for (const e of entries) {
    if (e.fields === undefined) continue;
    if (!out) {
      out = {};
      if (self) out["."] = {};
    }
    out[e.key] = e.fields;
  }
  return out;
}
