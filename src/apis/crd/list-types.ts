// x-kubernetes-list-type: `set` lists hold unique values, `map` lists unique key combinations
// (x-kubernetes-list-map-keys). Duplicates are reported as kube does, at the later element:
// `spec.tags[2]: Duplicate value: "a"`, `spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}`.

import { field, type FieldError } from "../../machinery/status.ts";
import { goSharpV } from "./go-json-values.ts";
import { fieldSchema, isSchema, type JSONSchemaProps, someSchema, propertySchema } from "./schema-types.ts";
import { isObject } from "../../machinery/object.ts";

/** A canonical text of a JSON value, so equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

function duplicate(path: string, value: unknown): FieldError {
  const e = field.duplicate(path, value);
  if (typeof value === "object" && value !== null) e.goValue = goSharpV(value);
  return e;
}

export function validateListTypes(x: unknown, s: JSONSchemaProps | undefined, path: string): FieldError[] {
  if (!isSchema(s)) return [];
  const errs: FieldError[] = [];
  if (Array.isArray(x)) {
    const items = isSchema(s.items) ? s.items : undefined;
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set") {
      const seen = new Set<string>();
      x.forEach((v, i) => {
        const c = canonical(v);
        if (seen.has(c)) errs.push(duplicate(`${path}[${i}]`, v));
        seen.add(c);
      });
    } else if (listType === "map") {
      const keys = (s["x-kubernetes-list-map-keys"] ?? []).filter((k): k is string => typeof k === "string");
      const seen = new Set<string>();
      x.forEach((v, i) => {
        if (!isObject(v)) return;
        const composite: Record<string, unknown> = {};
        for (const k of keys) composite[k] = Object.hasOwn(v, k) ? v[k] : (propertySchema(items, k)?.default ?? null);
        const c = canonical(composite);
        if (seen.has(c)) errs.push(duplicate(`${path}[${i}]`, composite));
        seen.add(c);
      });
    }
    if (items)
      x.forEach((v, i) => {
        errs.push(...validateListTypes(v, items, `${path}[${i}]`));
      });
  } else if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      const sub = fieldSchema(s, k);
      if (sub) errs.push(...validateListTypes(v, sub, path ? `${path}.${k}` : k));
    }
  }
  return errs;
}

/** Whether any list in the schema needs uniqueness checks (most schemas need no walk at all). */
export function hasListTypes(s: JSONSchemaProps | undefined): boolean {
  return someSchema(s, (n) => n["x-kubernetes-list-type"] === "set" || n["x-kubernetes-list-type"] === "map");
}
