// Query parameters of list and watch requests: selectors, pagination, resourceVersion rules.

import type { ListOptions } from "../../apis/store.ts";
import type { ResourceDef } from "../../apis/types.ts";
import { parseFieldSelector, checkSupported } from "../../machinery/selectors/field-selector.ts";
import { parseLabelSelector } from "../../machinery/selectors/label-selector.ts";
import { errors } from "../../machinery/status.ts";

const INT64_MAX = 2n ** 63n - 1n;

export function supportedFields(def: ResourceDef): Set<string> {
  return new Set(["metadata.name", "metadata.namespace", ...Object.keys(def.selectableFields ?? {})]);
}

export function parseListOptions(def: ResourceDef, q: URLSearchParams): ListOptions {
  const opts: ListOptions = {};
  const ls = q.get("labelSelector");
  if (ls) opts.labelSelector = parseLabelSelector(ls);
  const fs = q.get("fieldSelector");
  if (fs) {
    const sel = parseFieldSelector(fs);
    checkSupported(sel, supportedFields(def), def.plural, def.selectableFields ? "custom" : "default");
    opts.fieldSelector = sel;
  }
  const limit = q.get("limit");
  if (limit) {
    if (!/^-?[0-9]+$/.test(limit)) throw errors.badRequest(`limit: Invalid value: "${limit}": must be an integer`);
    // An int64 in kube: beyond it the value does not parse. Within it, anything past 2^53 means "no
    // limit" just as well, and is kept a safe integer so storage never sees a float.
    const n = BigInt(limit);
    if (n > INT64_MAX || n < -INT64_MAX - 1n)
      throw errors.badRequest(`limit: Invalid value: "${limit}": must be a 64-bit integer`);
    opts.limit = Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);
  }
  const cont = q.get("continue");
  if (cont) opts.continue = cont;
  const rv = q.get("resourceVersion");
  if (rv !== null) opts.resourceVersion = rv;
  const match = q.get("resourceVersionMatch");
  if (match) opts.resourceVersionMatch = match;
  return opts;
}
