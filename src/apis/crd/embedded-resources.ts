// Objects under x-kubernetes-embedded-resource are Kubernetes objects themselves: they need an
// apiVersion and a kind (kube's schemaobjectmeta validation of embedded resources).

import { field, type FieldError } from "../../machinery/status.ts";
import { isDNS1035Label } from "../builtin/dns1035-label.ts";
import { fieldSchema, isEmbeddedResource, isSchema, type JSONSchemaProps, someSchema } from "./schema-types.ts";
import { isObject } from "../../machinery/object.ts";

const GROUP_VERSION = /^([^/]+\/)?[^/]+$/;

function embeddedErrors(x: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (!("apiVersion" in x)) errs.push(field.required(at("apiVersion"), "must not be empty"));
  if (!("kind" in x)) errs.push(field.required(at("kind"), "must not be empty"));
  const av = x.apiVersion;
  if ("apiVersion" in x) {
    if (typeof av !== "string") errs.push(field.invalid(at("apiVersion"), av, "must be a string"));
    else if (av === "") errs.push(field.invalid(at("apiVersion"), av, "must not be empty"));
    else if (!GROUP_VERSION.test(av))
      errs.push(field.invalid(at("apiVersion"), av, `unexpected GroupVersion string: ${av}`));
  }
  const kind = x.kind;
  if ("kind" in x) {
    if (typeof kind !== "string") errs.push(field.invalid(at("kind"), kind, "must be a string"));
    else if (kind === "") errs.push(field.invalid(at("kind"), kind, "must not be empty"));
    else {
      const e = isDNS1035Label(kind.toLowerCase());
      if (e.length)
        errs.push(field.invalid(at("kind"), kind, `may have mixed case, but should otherwise match: ${e.join(",")}`));
    }
  }
  return errs;
}

export function validateEmbeddedResources(x: unknown, s: JSONSchemaProps | undefined, path: string): FieldError[] {
  if (!isSchema(s)) return [];
  const errs: FieldError[] = [];
  if (isObject(x)) {
    if (isEmbeddedResource(s) && path !== "") errs.push(...embeddedErrors(x, path));
    for (const [k, v] of Object.entries(x)) {
      const sub = fieldSchema(s, k);
      if (sub) errs.push(...validateEmbeddedResources(v, sub, path ? `${path}.${k}` : k));
    }
  } else if (Array.isArray(x) && isSchema(s.items)) {
    const items = s.items;
    x.forEach((v, i) => {
      errs.push(...validateEmbeddedResources(v, items, `${path}[${i}]`));
    });
  }
  return errs;
}

export function hasEmbeddedResources(s: JSONSchemaProps | undefined): boolean {
  return someSchema(s, (n) => isEmbeddedResource(n));
}
