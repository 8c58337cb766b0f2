// Server-side apply's merge of an apply configuration into the live object: granular maps merge
// key by key, granular lists item by item (matched by key or value, in an order that keeps the
// configuration's items in its order and the live-only items near their old neighbours), and
// leaves — scalars, atomic lists and maps — take the configuration's value. Neither input is
// modified.

import type { SchemaNode } from "../schema-node.ts";
import { indexItems } from "./compare.ts";
import { isGranularMap, isLeafPair } from "./typed-shape.ts";
import { isObject, setOwn } from "../../machinery/object.ts";

export function mergeValues(live: unknown, config: unknown, node: SchemaNode): unknown {
  if (config === undefined) return structuredClone(live);
  if (live === undefined) return structuredClone(config);
  // A null in the configuration does not clear a granular map or list (as in structured-merge-diff).
  if (config === null && (isObject(live) || Array.isArray(live)) && !isLeafPair(live, undefined, node))
    return structuredClone(live);
  if (isLeafPair(live, config, node)) return structuredClone(config);
  if (Array.isArray(live)) return mergeLists(live, config as unknown[], node);
  if (isGranularMap(live, node)) {
    const c = config as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(live)) {
      const sub = node.field(k);
      setOwn(
        out,
        k,
        Object.hasOwn(c, k) ? (sub ? mergeValues(v, c[k], sub) : structuredClone(c[k])) : structuredClone(v),
      );
    }
    for (const [k, v] of Object.entries(c)) if (!Object.hasOwn(live, k)) setOwn(out, k, structuredClone(v));
    return out;
  }
  return structuredClone(config);
}

function mergeLists(live: unknown[], config: unknown[], node: SchemaNode): unknown[] {
  const items = node.items();
  const lhs = [...indexItems(live, node)];
  const rhs = [...indexItems(config, node)];
  const lhsMap = new Map(lhs);
  const rhsMap = new Map(rhs);
  // The items both sides have, in the configuration's order.
  const shared = rhs.filter(([k]) => lhsMap.has(k)).map(([k]) => k);
  let nextShared = 0;
  const done = new Set<string>();
  const out: unknown[] = [];
  const take = (k: string) => {
    done.add(k);
    const l = lhsMap.get(k)?.item;
    const r = rhsMap.get(k)?.item;
    out.push(r === undefined ? structuredClone(l) : mergeValues(l, r, items));
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    if (li < lhs.length && ri < rhs.length) {
      const lk = (lhs[li] as [string, unknown])[0];
      const rk = (rhs[ri] as [string, unknown])[0];
      if (lk === rk) {
        take(lk);
        li++;
        ri++;
        nextShared++;
        continue;
      }
      // A shared item that is not the next one the configuration wants: it comes later.
      if (rhsMap.has(lk) && nextShared < shared.length && shared[nextShared] !== lk) {
        li++;
        continue;
      }
    }
    if (li < lhs.length) {
      const lk = (lhs[li] as [string, unknown])[0];
      if (!rhsMap.has(lk)) {
        take(lk);
        li++;
        continue;
      }
      if (done.has(lk)) {
        li++;
        continue;
      }
    }
    if (ri < rhs.length) {
      const rk = (rhs[ri] as [string, unknown])[0];
      take(rk);
      ri++;
      if (shared[nextShared] === rk) nextShared++;
      continue;
    }
    li++;
  }
  return out;
}
