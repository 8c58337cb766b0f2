// Pruning: fields a structural schema does not specify are dropped, unless a node says
// x-kubernetes-preserve-unknown-fields. The root and embedded resources keep apiVersion, kind and
// metadata (metadata is trimmed to ObjectMeta's fields separately). Returns the pruned paths,
// worded as kube reports unknown fields (`spec.foo`, `spec.items[0].bar`).

import {
  additionalPropertiesOf,
  isEmbeddedResource,
  isSchema,
  type JSONSchemaProps,
  preservesUnknownFields,
  propertySchema,
} from "./schema-types.ts";
import { isObject } from "../../machinery/object.ts";

const META_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

function join(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}

/** Prune `obj` in place against `schema`; `isResourceRoot` for a whole object. */
export function prune(obj: unknown, schema: JSONSchemaProps | undefined, isResourceRoot: boolean, path = ""): string[] {
  const pruned: string[] = [];
  let s = schema;
  // The root of a resource is treated as an embedded resource: apiVersion, kind and metadata stay.
  if (isResourceRoot && !isEmbeddedResource(s)) s = { ...(s ?? {}), "x-kubernetes-embedded-resource": true };
  walk(obj, s, path, pruned, isResourceRoot);
  return pruned;
}

function walk(x: unknown, s: JSONSchemaProps | undefined, path: string, pruned: string[], isRoot: boolean): void {
  if (isSchema(s) && preservesUnknownFields(s)) {
    skipPrune(x, s, path, pruned);
    return;
  }
  if (isObject(x)) {
    for (const k of Object.keys(x)) {
      const v = x[k];
      if (isSchema(s) && isEmbeddedResource(s)) {
        if ((k === "apiVersion" || k === "kind") && typeof v === "string") continue;
        if (k === "metadata" && isObject(v)) continue;
      }
      const prop = propertySchema(s, k);
      if (isSchema(prop)) walk(v, prop, join(path, k), pruned, false);
      else if (isSchema(s) && s.additionalProperties !== undefined && s.additionalProperties !== false) {
        walk(v, additionalPropertiesOf(s), join(path, k), pruned, false);
      } else {
        if (!(isRoot && META_FIELDS.has(k))) pruned.push(join(path, k));
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const items = isSchema(s) && isSchema(s.items) ? s.items : undefined;
    x.forEach((v, i) => {
      walk(v, items, `${path}[${i}]`, pruned, false);
    });
  }
}

/** Below x-kubernetes-preserve-unknown-fields: keep unknown fields, but prune inside the known ones. */
function skipPrune(x: unknown, s: JSONSchemaProps, path: string, pruned: string[]): void {
  if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (isEmbeddedResource(s) && META_FIELDS.has(k)) continue;
      const prop = propertySchema(s, k);
      if (isSchema(prop)) walk(v, prop, join(path, k), pruned, false);
      else if (isSchema(s.additionalProperties)) walk(v, s.additionalProperties, join(path, k), pruned, false);
    }
  } else if (Array.isArray(x)) {
    const items = isSchema(s.items) ? s.items : undefined;
    if (items)
      x.forEach((v, i) => {
        skipPrune(v, items, `${path}[${i}]`, pruned);
      });
  }
}

/** ObjectMeta's fields: anything else in a custom resource's metadata is dropped like an unknown field. */
const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

/** Drop metadata fields ObjectMeta does not have; returns their paths (`metadata.foo`). */
export function pruneObjectMeta(meta: unknown, path = "metadata"): string[] {
  if (!isObject(meta)) return [];
  const pruned: string[] = [];
  for (const k of Object.keys(meta)) {
    if (OBJECT_META_FIELDS.has(k)) continue;
    pruned.push(`${path}.${k}`);
    delete meta[k];
  }
  return pruned;
}
