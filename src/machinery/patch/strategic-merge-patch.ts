// Strategic merge patch (application/strategic-merge-patch+json), as kube-apiserver applies it to
// built-in kinds: a JSON merge patch whose lists follow the schema's patch strategy — `merge`
// lists of objects are merged by their merge key, `merge` lists of scalars are unions, the others
// are replaced — plus the directives:
//   `$patch: replace | delete` in a map (and `replace | delete` items in a merge list),
//   `$retainKeys: [...]` (drop every other key of the map),
//   `$setElementOrder/<list>: [...]` (the order of the merged list),
//   `$deleteFromPrimitiveList/<list>: [...]` (remove these scalars from a merge list).
// Order of merged lists follows kube's rules: $setElementOrder, then the patch's order, then the
// live list's.
//
// Bounded work: items are found through an index built once per list (never a scan per item, which
// made 20,000 finalizers a 2.8 s stall), and a merged list holds at most MAX_MERGED_LIST_ITEMS.

import { StatusError, errors } from "../status.ts";
import { isObject, setOwn } from "../object.ts";

/** What the patch needs to know of the schema at a point: the patch strategy and merge key. */
export interface PatchSchema {
  /** The schema of a member of a map or struct; undefined when the schema does not know it. */
  field(name: string): PatchSchema | undefined;
  /** The schema of a list's items. */
  items(): PatchSchema | undefined;
  /** `x-kubernetes-patch-strategy` split on commas: merge, replace, retainKeys. */
  readonly patchStrategies: string[];
  /** `x-kubernetes-patch-merge-key`. */
  readonly patchMergeKey: string | undefined;
}

type Obj = Record<string, unknown>;

/** The most items a list merged by a strategic merge patch may hold (the live list's and the patch's). */
export const MAX_MERGED_LIST_ITEMS = 100_000;

const tooLongList = (n: number) =>
  new StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {
    causes: [
      {
        reason: "UnexpectedServerResponse",
        message: `a merged list may hold at most ${MAX_MERGED_LIST_ITEMS} items, this one would have ${n}`,
      },
    ],
  });

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_FROM_LIST = "$deleteFromPrimitiveList/";

/** Go's `%v` of a decoded JSON value, for error messages (`map[name:a]`, `[a b]`). */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k])}`)
      .join(" ")}]`;
  }
  return String(v);
}

/**
 * A patch the engine cannot apply. kube answers these with a 500 (plain Go errors of its patch
 * code), but the fault is in the client's patch, and no request may get a 5xx: 400, kube's words.
 */
function patchError(message: string): StatusError {
  return errors.badRequest(message);
}

const noListOfLists = () =>
  new StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {
    causes: [{ reason: "UnexpectedServerResponse", message: "lists of lists are not supported" }],
  });
const badRetainKeys = () => errors.badRequest("invalid patch format of retainKeys");
const badSetOrder = () => errors.badRequest("invalid patch format of setElementOrder list");
const noMergeKey = (m: unknown, key: string) =>
  patchError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const badPatchType = (t: unknown, m: unknown) => patchError(`unknown patch type: ${String(t)} in map: ${goValue(m)}`);

/**
 * Apply `patch` to `original`; neither is modified. `schema` describes the original's type
 * (undefined: nothing is known, every list is replaced).
 */
export function applyStrategicMergePatch(original: unknown, patch: Obj, schema: PatchSchema | undefined): Obj {
  const base = isObject(original) ? structuredClone(original) : {};
  return mergeMap(base, structuredClone(patch), schema);
}

/** The part of a field's patch strategies that is not retainKeys (kube allows at most two). */
function strategyOf(schema: PatchSchema | undefined): string {
  const s = (schema?.patchStrategies ?? []).filter((x) => x !== "retainKeys");
  if (s.length > 1) throw patchError(`unexpected patch strategy: [${(schema?.patchStrategies ?? []).join(" ")}]`);
  return s[0] ?? "";
}

/** Remove null members (recursively): a null in a patch only ever means "delete". */
function discardNulls(v: unknown): unknown {
  if (Array.isArray(v)) v.forEach(discardNulls);
  else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNulls(x);
    }
  }
  return v;
}

/** Go's `reflect.TypeOf` kinds of decoded JSON, which decide whether two values merge. */
function typeName(v: unknown): string {
  if (v === null) return "nil";
  if (Array.isArray(v)) return "slice";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  return typeof v === "object" ? "map" : typeof v;
}

function mergeMap(original: Obj, patch: Obj, schema: PatchSchema | undefined): Obj {
  if (Object.hasOwn(patch, DIRECTIVE)) return mapDirective(patch[DIRECTIVE], patch);
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, schema);
  for (const [rawKey, value] of Object.entries(patch)) {
    if (rawKey.startsWith(SET_ORDER)) continue;
    const deleteList = rawKey.startsWith(DELETE_FROM_LIST);
    const key = deleteList ? rawKey.slice(DELETE_FROM_LIST.length) : rawKey;
    if (value === null) {
      delete original[key];
      continue;
    }
    const sub = schema?.field(key);
    if (!Object.hasOwn(original, key) || original[key] === undefined) {
      if (!deleteList) setOwn(original, key, fresh(value, sub));
      continue;
    }
    const current = original[key];
    if (typeName(current) !== typeName(value)) {
      if (!deleteList) setOwn(original, key, discardNulls(value));
      continue;
    }
    if (isObject(current)) {
      setOwn(original, key, strategyOf(sub) === "replace" ? discardNulls(value) : mergeMap(current, value as Obj, sub));
    } else if (Array.isArray(current)) {
      setOwn(original, key, mergeListField(current, value as unknown[], sub, deleteList));
    } else {
      setOwn(original, key, value);
    }
  }
  return original;
}

/** A patch value for a key the original lacks: its directives are applied to an empty value. */
function fresh(value: unknown, schema: PatchSchema | undefined): unknown {
  if (isObject(value)) return strategyOf(schema) === "replace" ? discardNulls(value) : mergeMap({}, value, schema);
  if (Array.isArray(value)) return mergeListField([], value, schema, false);
  return value;
}

function mapDirective(directive: unknown, patch: Obj): Obj {
  if (directive === "replace") {
    delete patch[DIRECTIVE];
    return discardNulls(patch) as Obj;
  }
  if (directive === "delete") return {};
  throw badPatchType(directive, patch);
}

function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (keep !== null && !Array.isArray(keep)) throw badRetainKeys();
  const kept = new Set(keep ?? []);
  for (const k of Object.keys(original)) if (!kept.has(k)) delete original[k];
}

/** A list field: merged when its strategy is `merge` (or it is a deletion list), replaced otherwise. */
function mergeListField(
  original: unknown[],
  patch: unknown[],
  schema: PatchSchema | undefined,
  deleteList: boolean,
): unknown[] {
  if (strategyOf(schema) === "merge" || deleteList) return mergeList(original, patch, schema, deleteList);
  return discardNulls(patch) as unknown[];
}

type ElementKind = "map" | "scalar";

/** The common kind of the elements of some lists (all maps, or all of one scalar type). */
function elementKind(...lists: unknown[][]): ElementKind | undefined {
  let seen: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = typeName(v);
      if (seen === undefined) {
        if (t === "slice") throw noListOfLists();
        seen = t;
      } else if (seen !== t) {
        throw patchError(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (seen === undefined) return undefined;
  return seen === "map" ? "map" : "scalar";
}

function mergeList(
  originalIn: unknown[],
  patchIn: unknown[],
  schema: PatchSchema | undefined,
  deleteList: boolean,
): unknown[] {
  if (originalIn.length === 0 && patchIn.length === 0) return originalIn;
  if (originalIn.length + patchIn.length > MAX_MERGED_LIST_ITEMS) throw tooLongList(originalIn.length + patchIn.length);
  const kind = elementKind(originalIn, patchIn) ?? "scalar";
  let original = originalIn;
  let patch = patchIn;
  let merged: unknown[];
  const mergeKey = kind === "map" ? (schema?.patchMergeKey ?? "") : "";
  if (kind === "scalar") {
    if (deleteList) {
      const gone = new Set(patch);
      return original.filter((v) => !gone.has(v));
    }
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw patchError("cannot merge lists without merge key");
    [original, patch] = applySpecialElements(original, patch, mergeKey);
    merged = mergeByKey(original, patch, mergeKey, schema?.items());
  }
  const [fromPatch, serverOnly] = partition(merged, patch, mergeKey);
  return normalizeOrder(fromPatch, serverOnly, patch, original, mergeKey);
}

/** `$patch: delete` items remove their match; a `$patch: replace` item makes the rest the whole list. */
function applySpecialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  const deleted = new Set<unknown>();
  for (const item of patch) {
    const m = item as Obj;
    if (!Object.hasOwn(m, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = m[DIRECTIVE];
    if (directive === "delete") {
      if (!Object.hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
      deleted.add(m[mergeKey]);
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw patchError("merging lists cannot yet be specified in the patch");
    } else {
      throw badPatchType(directive, m);
    }
  }
  if (replace) return [plain, []];
  const out = deleted.size === 0 ? original : original.filter((o) => !(isObject(o) && deleted.has(o[mergeKey])));
  return [out, plain];
}

function mergeByKey(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  items: PatchSchema | undefined,
): unknown[] {
  const out = [...original];
  // The first item of each merge key value.
  const at = new Map<unknown, number>();
  out.forEach((o, i) => {
    if (!isObject(o)) throw patchError(`value for key ${i} is not a map`);
    if (Object.hasOwn(o, mergeKey) && !at.has(o[mergeKey])) at.set(o[mergeKey], i);
  });
  for (const item of patch) {
    const m = item as Obj;
    if (!Object.hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
    const found = at.get(m[mergeKey]);
    if (found !== undefined) out[found] = mergeMap(out[found] as Obj, m, items);
    else {
      at.set(m[mergeKey], out.length);
      out.push(mergeMap({}, m, items));
    }
  }
  return out;
}

/**
 * Where items sit in `list` (by merge key for maps, by value for scalars): the first position of
 * each, built once so that every lookup is constant time.
 */
class ListIndex {
  private readonly first = new Map<unknown, number>();
  constructor(
    list: unknown[],
    private readonly mergeKey: string,
  ) {
    list.forEach((v, i) => {
      if (mergeKey && !isObject(v)) return;
      const k = mergeKey ? (v as Obj)[mergeKey] : v;
      if (!this.first.has(k)) this.first.set(k, i);
    });
  }

  /** The position of `item`, or -1. */
  of(item: unknown): number {
    return this.first.get(this.mergeKey ? (item as Obj)[this.mergeKey] : item) ?? -1;
  }
}

/** Split `list` into the items `by` has (by key or value) and the others. */
function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  const index = new ListIndex(by, mergeKey);
  for (const item of list) {
    if (mergeKey && !(isObject(item) && Object.hasOwn(item, mergeKey))) throw noMergeKey(item, mergeKey);
    (index.of(item) >= 0 ? inBy : rest).push(item);
  }
  return [inBy, rest];
}

/** Sort `items` by their position in `order` (stable; items `order` lacks keep their place after). */
function sortBy(items: unknown[], order: unknown[], mergeKey: string): unknown[] {
  if (mergeKey) {
    for (const v of [...items, ...order])
      if (!(isObject(v) && Object.hasOwn(v, mergeKey))) throw noMergeKey(v, mergeKey);
  }
  const index = new ListIndex(order, mergeKey);
  const pos = (v: unknown) => {
    const i = index.of(v);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return items
    .map((v, i) => ({ v, i, p: pos(v) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.v);
}

/**
 * The final order of a merged list: the patch's items in `patchOrder`, the server-only items in
 * `serverOrder`, interleaved so that a server-only item goes before the first patch item that
 * comes after it in the live list.
 */
function normalizeOrder(
  fromPatch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
): unknown[] {
  const right = sortBy(fromPatch, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  const index = new ListIndex(serverOrder, mergeKey);
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = index.of(left[i]);
      const ri = index.of(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Check that the patch list's items appear in the `$setElementOrder` list in the same order. */
function checkOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = patchList.filter((v) => !(isObject(v) && Object.hasOwn(v, DIRECTIVE)));
  const sameKey = (a: unknown, b: unknown) => {
    if (!mergeKey) return a === b;
    if (!isObject(a)) throw patchError(`invalid value for special key: ${DIRECTIVE}`);
    if (!isObject(b)) throw patchError(`invalid value for special key: ${DIRECTIVE}`);
    return a[mergeKey] === b[mergeKey];
  };
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (sameKey(items[p], order[o])) p++;
    o++;
  }
  if (p < items.length) {
    throw patchError(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ORDER} list:\n${goValue(order)}\n`,
    );
  }
}

/** Merge every list that has a `$setElementOrder/<list>` directive, in that order. */
function mergeOrderedLists(original: Obj, patch: Obj, schema: PatchSchema | undefined): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    delete patch[key];
    if (!Array.isArray(order)) throw badSetOrder();
    const field = key.slice(SET_ORDER.length);
    const sub = schema?.field(field);
    const mergeKey = sub?.patchMergeKey ?? "";
    const hasOriginal = Array.isArray(original[field]);
    const hasPatch = Object.hasOwn(patch, field) && patch[field] !== null;
    if (hasPatch && !Array.isArray(patch[field])) throw badSetOrder();
    if (!hasOriginal && !hasPatch) continue;
    const originalList = hasOriginal ? (original[field] as unknown[]) : [];
    const patchList = hasPatch ? (patch[field] as unknown[]) : [];
    if (hasPatch) checkOrderList(patchList, order, mergeKey);
    let merged: unknown[];
    if (hasOriginal && !hasPatch) merged = originalList;
    else merged = mergeListField(originalList, patchList, sub, false);
    const kind = elementKind(originalList, patchList);
    const byKey = kind === "map" ? mergeKey : "";
    const [fromOrder, serverOnly] = partition(merged, order, byKey);
    original[field] = normalizeOrder(fromOrder, serverOnly, order, originalList, byKey);
    delete patch[field];
  }
}
