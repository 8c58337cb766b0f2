// Defaulting of custom resources, as apiextensions-apiserver does on create, on update and when
// reading from storage: first nulls of non-nullable fields without a default are dropped, then
// every absent (or null, non-nullable) field with a default gets a copy of it, recursively.

import {
  additionalPropertiesOf,
  fieldSchema,
  isSchema,
  type JSONSchemaProps,
  someSchema,
  propertySchema,
} from "./schema-types.ts";
import { isObject, setOwn } from "../../machinery/object.ts";

function nonNullableNull(v: unknown, s: JSONSchemaProps | undefined): boolean {
  return v === null && isSchema(s) && s.nullable !== true;
}

/** Drop null values the schema does not allow and has no default for (kube's PruneNonNullableNullsWithoutDefaults). */
export function pruneNonNullableNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (isObject(x)) {
    for (const k of Object.keys(x)) {
      const sub = fieldSchema(s, k);
      if (nonNullableNull(x[k], sub) && sub?.default === undefined) delete x[k];
      else pruneNonNullableNulls(x[k], sub);
    }
  } else if (Array.isArray(x)) {
    const items = isSchema(s?.items) ? (s?.items as JSONSchemaProps) : undefined;
    for (const v of x) pruneNonNullableNulls(v, items);
  }
}

/** Apply the schema's defaults to `x` in place. */
export function applyDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!isSchema(s)) return;
  if (isObject(x)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (!isSchema(prop) || prop.default === undefined) continue;
      if (!Object.hasOwn(x, k) || nonNullableNull(x[k], prop)) setOwn(x, k, structuredClone(prop.default));
    }
    const ap = additionalPropertiesOf(s);
    for (const [k, v] of Object.entries(x)) {
      const prop = propertySchema(s, k);
      if (isSchema(prop)) applyDefaults(v, prop);
      else if (ap) {
        if (nonNullableNull(v, ap) && ap.default !== undefined) x[k] = structuredClone(ap.default);
        applyDefaults(x[k], ap);
      }
    }
  } else if (Array.isArray(x)) {
    const items = isSchema(s.items) ? s.items : undefined;
    if (!items) return;
    x.forEach((v, i) => {
      if (nonNullableNull(v, items) && items.default !== undefined) x[i] = structuredClone(items.default);
      applyDefaults(x[i], items);
    });
  }
}

/** Whether a schema has any default at all (reads can skip defaulting when not). */
export function hasDefaults(s: JSONSchemaProps | undefined): boolean {
  return someSchema(s, (n) => n.default !== undefined);
}
