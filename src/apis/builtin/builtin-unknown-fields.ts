// Unknown fields of a built-in object, found by walking it against the kind's OpenAPI schema, as
// kube-apiserver's strict decoder finds the fields its Go structs lack. They are removed from the
// object (Go drops them while decoding) and reported per the request's fieldValidation.

import { duplicateFieldsOf } from "../crd/duplicate-fields.ts";
import { reportUnknownFields } from "../crd/unknown-fields.ts";
import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { BUILTIN_SCHEMAS, schemaNameOfKind } from "./schemas/index.ts";
import { SCHEMA_REF_PREFIX, type Schema } from "../schema-builders.ts";
import { isObject } from "../../machinery/object.ts";

/** Follow `$ref` and the `allOf: [$ref]` wrapper to the schema they name. */
function resolve(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 8; i++) {
    const allOf = cur.allOf;
    const ref =
      typeof cur.$ref === "string" ? cur.$ref : Array.isArray(allOf) && isObject(allOf[0]) ? allOf[0].$ref : undefined;
    if (typeof ref !== "string" || !ref.startsWith(SCHEMA_REF_PREFIX)) return cur;
    cur = BUILTIN_SCHEMAS[ref.slice(SCHEMA_REF_PREFIX.length)];
  }
  return cur;
}

/** Where the walk is: each step a property name or a map key / array index (`[k]`). */
type Step = { key: string; bracket: boolean };

/** The dotted path of the steps, built only for a field reported. */
function pathOf(steps: Step[], last: string): string {
  let path = "";
  for (const s of steps) path = s.bracket ? `${path}[${s.key}]` : path ? `${path}.${s.key}` : s.key;
  return path ? `${path}.${last}` : last;
}

const resolved = new WeakMap<Schema, Schema | null>();

/** resolve(), remembered per schema object (the built-in schemas never change). */
function resolveCached(schema: Schema): Schema | undefined {
  let r = resolved.get(schema);
  if (r === undefined) {
    r = resolve(schema) ?? null;
    resolved.set(schema, r);
  }
  return r ?? undefined;
}

function walk(value: unknown, schema: Schema | undefined, steps: Step[], found: string[]): void {
  // Only objects and arrays can hold unknown fields.
  if (typeof value !== "object" || value === null || !schema) return;
  const s = resolveCached(schema);
  if (!s) return;
  if (isObject(s.properties) && isObject(value)) {
    const props = s.properties as Record<string, Schema>;
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(props, key)) {
        found.push(pathOf(steps, key));
        delete value[key];
      } else {
        const v = value[key];
        if (typeof v !== "object" || v === null) continue;
        steps.push({ key, bracket: false });
        walk(v, props[key], steps, found);
        steps.pop();
      }
    }
    return;
  }
  if (isObject(s.additionalProperties) && isObject(value)) {
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (typeof v !== "object" || v === null) continue;
      steps.push({ key, bracket: true });
      walk(v, s.additionalProperties as Schema, steps, found);
      steps.pop();
    }
    return;
  }
  if (s.type === "array" && isObject(s.items) && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== "object" || v === null) continue;
      steps.push({ key: String(i), bracket: true });
      walk(v, s.items as Schema, steps, found);
      steps.pop();
    }
  }
}

/** Remove from `obj` the fields the named schema does not declare; returns their paths. */
export function pruneUnknownFields(schemaName: string, obj: unknown): string[] {
  const found: string[] = [];
  walk(obj, BUILTIN_SCHEMAS[schemaName], [], found);
  return found;
}

/** Prune a built-in object and report what was pruned and what the body duplicated (400 under Strict, Warning headers under Warn). */
export function checkBuiltinFields(def: ResourceDef, obj: KObject, ctx: RequestContext): void {
  const name = schemaNameOfKind(def);
  if (!name) return;
  reportUnknownFields(def.kind, def.version, ctx, pruneUnknownFields(name, obj), duplicateFieldsOf(obj));
}
