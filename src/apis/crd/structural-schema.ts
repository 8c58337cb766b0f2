// Whether an openAPIV3Schema is structural, with apiextensions-apiserver's messages
// (pkg/apiserver/schema: validateStructuralInvariants and validateStructuralCompleteness):
// every node says its type; value validations (allOf, anyOf, oneOf, not) only restrict what the
// structure already specifies; metadata at the root restricts name and generateName at most.

import { field, type FieldError, fieldErrorText } from "../../machinery/status.ts";
import { child, index, key } from "./field-path.ts";
import { isSchema, type JSONSchemaProps, propertySchema } from "./schema-types.ts";

type Level = "root" | "item" | "field";

/** Structural-schema errors for the schema at `path`, sorted by their text as kube sorts them. */
export function validateStructural(s: JSONSchemaProps, path: string): FieldError[] {
  const errs = [...invariants(s, "root", path), ...completeness(s, path)];
  return errs.sort((a, b) => {
    const x = fieldErrorText(a);
    const y = fieldErrorText(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function invariants(s: JSONSchemaProps | undefined, lvl: Level, path: string): FieldError[] {
  if (!isSchema(s)) return [];
  const errs: FieldError[] = [];
  const items = isSchema(s.items) ? s.items : undefined;
  if (s.type === "array" && !items) errs.push(field.required(child(path, "items"), "must be specified"));
  errs.push(...invariants(items, "item", child(path, "items")));
  for (const [k, v] of Object.entries(s.properties ?? {}))
    errs.push(...invariants(v, "field", key(child(path, "properties"), k)));
  if (s.additionalProperties !== undefined) {
    if (lvl === "root") errs.push(field.forbidden(child(path, "additionalProperties"), "must not be used at the root"));
    if (isSchema(s.additionalProperties))
      errs.push(...invariants(s.additionalProperties, "field", child(path, "additionalProperties")));
  }

  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (intOrString && preserve) {
    errs.push(
      field.invalid(
        child(path, "x-kubernetes-preserve-unknown-fields"),
        true,
        "must be false if x-kubernetes-int-or-string is true",
      ),
    );
  }
  if (intOrString && embedded) {
    errs.push(
      field.invalid(
        child(path, "x-kubernetes-embedded-resource"),
        true,
        "must be false if x-kubernetes-int-or-string is true",
      ),
    );
  }

  errs.push(...valueValidation(s, isIntOrStringAnyOf(s.anyOf), isIntOrStringAllOf(s.allOf), lvl, path));

  const type = typeof s.type === "string" ? s.type : "";
  if (embedded && type !== "object") {
    if (!type)
      errs.push(field.required(child(path, "type"), "must be object if x-kubernetes-embedded-resource is true"));
    else
      errs.push(field.invalid(child(path, "type"), type, "must be object if x-kubernetes-embedded-resource is true"));
  } else if (!type && !intOrString && !preserve) {
    const why =
      lvl === "root"
        ? "must not be empty at the root"
        : lvl === "item"
          ? "must not be empty for specified array items"
          : "must not be empty for specified object fields";
    errs.push(field.required(child(path, "type"), why));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errs.push(
      field.forbidden(child(path, "additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"),
    );
  }
  if (lvl === "root" && type && type !== "object")
    errs.push(field.invalid(child(path, "type"), type, "must be object at the root"));

  const checkMetadata = lvl === "root" || embedded;
  const props = s.properties ?? {};
  for (const name of ["kind", "apiVersion"]) {
    const p = props[name];
    if (checkMetadata && isSchema(p) && p.type !== "string") {
      errs.push(field.invalid(child(key(child(path, "properties"), name), "type"), p.type ?? "", "must be string"));
    }
  }
  if (isSchema(props.metadata))
    errs.push(...metadataInvariants(props.metadata, checkMetadata, lvl, key(child(path, "properties"), "metadata")));
  if (embedded && !preserve && Object.keys(props).length === 0) {
    errs.push(
      field.required(
        child(path, "properties"),
        "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
      ),
    );
  }
  return errs;
}

/** Keys of a schema node that do not describe its structure or restrict values (ignored when comparing). */
const NOT_STRUCTURE = new Set(["example"]);

function metadataInvariants(s: JSONSchemaProps, checkMetadata: boolean, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (checkMetadata && s.type !== "object")
    errs.push(field.invalid(child(path, "type"), s.type ?? "", "must be object"));
  if (lvl === "root") {
    // Everything but type, default, and properties that are exactly name and/or generateName is too much.
    const props = Object.keys(s.properties ?? {});
    const onlyNames = props.length > 0 && props.every((p) => p === "name" || p === "generateName");
    const rest = Object.keys(s).filter(
      (k) =>
        k !== "type" &&
        k !== "default" &&
        !NOT_STRUCTURE.has(k) &&
        !(k === "properties" && (onlyNames || props.length === 0)),
    );
    const meaningful = rest.filter((k) => {
      const v = (s as Record<string, unknown>)[k];
      return !(v === undefined || v === false || v === "" || (Array.isArray(v) && v.length === 0));
    });
    if (meaningful.length > 0) {
      errs.push(
        field.forbidden(
          path,
          "must not specify anything other than name and generateName, but metadata is implicitly specified",
        ),
      );
    }
  }
  return errs;
}

/** anyOf: [{type: integer}, {type: string}] exactly, the int-or-string shape kube tolerates. */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return false;
  const only = (s: unknown, t: string) => isSchema(s) && Object.keys(s).length === 1 && s.type === t;
  return only(anyOf[0], "integer") && only(anyOf[1], "string");
}

function isIntOrStringAllOf(allOf: unknown): boolean {
  return Array.isArray(allOf) && allOf.length >= 1 && isSchema(allOf[0]) && isIntOrStringAnyOf(allOf[0].anyOf);
}

function valueValidation(
  v: JSONSchemaProps,
  skipAnyOf: boolean,
  skipFirstAllOfAnyOf: boolean,
  lvl: Level,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!skipAnyOf)
    (v.anyOf ?? []).forEach((s, i) => {
      errs.push(...nested(s, false, false, lvl, index(child(path, "anyOf"), i)));
    });
  (v.allOf ?? []).forEach((s, i) => {
    errs.push(...nested(s, skipFirstAllOfAnyOf && i === 0, false, lvl, index(child(path, "allOf"), i)));
  });
  (v.oneOf ?? []).forEach((s, i) => {
    errs.push(...nested(s, false, false, lvl, index(child(path, "oneOf"), i)));
  });
  if (isSchema(v.not)) errs.push(...nested(v.not, false, false, lvl, child(path, "not")));
  if (typeof v.pattern === "string" && v.pattern.length > 0) {
    try {
      new RegExp(v.pattern, "u");
    } catch (e) {
      errs.push(
        field.invalid(
          child(path, "pattern"),
          v.pattern,
          `must be a valid regular expression, but isn't: ${(e as Error).message}`,
        ),
      );
    }
  }
  return errs;
}

/** A schema under allOf/anyOf/oneOf/not: it may only restrict values, never add structure. */
function nested(
  v: JSONSchemaProps | undefined,
  skipAnyOf: boolean,
  skipAllOfAnyOf: boolean,
  lvl: Level,
  path: string,
): FieldError[] {
  if (!isSchema(v)) return [];
  const errs = valueValidation(v, skipAnyOf, skipAllOfAnyOf, lvl, path);
  if (isSchema(v.items)) errs.push(...nested(v.items, false, false, lvl, child(path, "items")));
  for (const [k, p] of Object.entries(v.properties ?? {}))
    errs.push(...nested(p, false, false, "field", key(child(path, "properties"), k)));
  const forbid = (name: string, detail: string) => errs.push(field.forbidden(child(path, name), detail));
  if (typeof v.type === "string" && v.type) forbid("type", "must be empty to be structural");
  if (v.additionalProperties !== undefined) forbid("additionalProperties", "must be undefined to be structural");
  if (v.default !== undefined) forbid("default", "must be undefined to be structural");
  if (v.title) forbid("title", "must be empty to be structural");
  if (v.description) forbid("description", "must be empty to be structural");
  if (v.nullable === true) forbid("nullable", "must be false to be structural");
  if (v.externalDocs !== undefined) forbid("externalDocs", "must be undefined to be structural");
  if (v["x-kubernetes-preserve-unknown-fields"] === true)
    forbid("x-kubernetes-preserve-unknown-fields", "must be false to be structural");
  if (v["x-kubernetes-embedded-resource"] === true)
    forbid("x-kubernetes-embedded-resource", "must be false to be structural");
  if (v["x-kubernetes-int-or-string"] === true) forbid("x-kubernetes-int-or-string", "must be false to be structural");
  if ((v["x-kubernetes-list-map-keys"]?.length ?? 0) > 0)
    forbid("x-kubernetes-list-map-keys", "must be empty to be structural");
  if (v["x-kubernetes-list-type"] !== undefined) forbid("x-kubernetes-list-type", "must be undefined to be structural");
  if (v["x-kubernetes-map-type"] !== undefined) forbid("x-kubernetes-map-type", "must be undefined to be structural");
  if ((v["x-kubernetes-validations"]?.length ?? 0) > 0)
    forbid("x-kubernetes-validations", "must be empty to be structural");
  if (v.properties && "metadata" in v.properties) {
    errs.push(field.forbidden(key(child(path, "properties"), "metadata"), "must not be specified in a nested context"));
  }
  return errs;
}

// ---- completeness: what value validations mention must exist in the structure ----

function completeness(s: JSONSchemaProps, path: string): FieldError[] {
  return junctorsComplete(s, s, path, path);
}

function junctorsComplete(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  sPath: string,
  vPath: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (isSchema(v.not)) errs.push(...nestedComplete(v.not, s, sPath, child(vPath, "not")));
  (v.allOf ?? []).forEach((n, i) => {
    errs.push(...nestedComplete(n, s, sPath, index(child(vPath, "allOf"), i)));
  });
  (v.anyOf ?? []).forEach((n, i) => {
    errs.push(...nestedComplete(n, s, sPath, index(child(vPath, "anyOf"), i)));
  });
  (v.oneOf ?? []).forEach((n, i) => {
    errs.push(...nestedComplete(n, s, sPath, index(child(vPath, "oneOf"), i)));
  });
  return errs;
}

function nestedComplete(
  v: JSONSchemaProps,
  s: JSONSchemaProps | undefined,
  sPath: string,
  vPath: string,
): FieldError[] {
  if (!isSchema(v)) return [];
  if (!isSchema(s)) return [field.required(sPath, `because it is defined in ${vPath}`)];
  const errs = junctorsComplete(v, s, sPath, vPath);
  if (isSchema(v.items))
    errs.push(
      ...nestedComplete(v.items, isSchema(s.items) ? s.items : undefined, child(sPath, "items"), child(vPath, "items")),
    );
  for (const [k, p] of Object.entries(v.properties ?? {})) {
    const sp = propertySchema(s, k);
    const at = key(child(sPath, "properties"), k);
    if (!isSchema(sp)) errs.push(field.required(at, `because it is defined in ${key(child(vPath, "properties"), k)}`));
    else errs.push(...nestedComplete(p, sp, at, key(child(vPath, "properties"), k)));
  }
  return errs;
}
