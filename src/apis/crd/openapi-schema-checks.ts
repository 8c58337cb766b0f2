// Checks of a CRD version's openAPIV3Schema on CRD create and update, with apiextensions-apiserver's
// messages: the root rules, structurality, defaults, the OpenAPI subset CRDs may use, list and
// map types, and x-kubernetes-validations (static checks and CEL compilation).

import { field, type FieldError } from "../../machinery/status.ts";
import { deepEqual } from "../object-codec.ts";
import { celRuleCompileErrors } from "./cel-rules.ts";
import { child, index, key } from "./field-path.ts";
import { goSharpV } from "./go-json-values.ts";
import { prune } from "./pruning.ts";
import { isEmbeddedResource, isSchema, type JSONSchemaProps, propertySchema } from "./schema-types.ts";
import { compileSchemaValidator } from "./schema-validator.ts";
import { validateStructural } from "./structural-schema.ts";

const OPENAPI_V3_TYPES = ["array", "boolean", "integer", "number", "object", "string"];
const META_FIELDS = new Set(["metadata", "kind", "apiVersion"]);
const VALIDATION_REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];

/** JSON keys allowed at the root when the status subresource is on, with kube's Go field names. */
const ROOT_FIELDS_WITH_STATUS: Record<string, string> = {
  description: "Description",
  type: "Type",
  format: "Format",
  title: "Title",
  maximum: "Maximum",
  exclusiveMaximum: "ExclusiveMaximum",
  minimum: "Minimum",
  exclusiveMinimum: "ExclusiveMinimum",
  maxLength: "MaxLength",
  minLength: "MinLength",
  pattern: "Pattern",
  maxItems: "MaxItems",
  minItems: "MinItems",
  uniqueItems: "UniqueItems",
  multipleOf: "MultipleOf",
  required: "Required",
  items: "Items",
  properties: "Properties",
  externalDocs: "ExternalDocs",
  example: "Example",
  "x-kubernetes-preserve-unknown-fields": "XPreserveUnknownFields",
  "x-kubernetes-validations": "XValidations",
};

export interface VersionSchemaOptions {
  /** The status subresource is enabled for this schema's version(s). */
  statusEnabled: boolean;
}

function isZeroValue(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === false ||
    v === "" ||
    v === 0 ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && Object.keys(v as object).length === 0)
  );
}

/** Every error of the schema at `path` + ".openAPIV3Schema" (path: `spec.validation` or `spec.versions[i].schema`). */
export function validateVersionSchema(schema: JSONSchemaProps, path: string, opts: VersionSchemaOptions): FieldError[] {
  const errs: FieldError[] = [];
  const root = child(path, "openAPIV3Schema");
  if (opts.statusEnabled) {
    for (const [k, v] of Object.entries(schema)) {
      if (isZeroValue(v)) continue;
      if (k === "type") {
        if (v !== "object") {
          errs.push(
            field.invalid(
              child(path, "openAPIV3Schema.type"),
              v,
              `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
            ),
          );
          break;
        }
        continue;
      }
      if (!Object.hasOwn(ROOT_FIELDS_WITH_STATUS, k)) {
        const allowed = `[${Object.values(ROOT_FIELDS_WITH_STATUS).join(" ")}]`;
        errs.push({
          ...field.invalid(
            root,
            schema,
            `only ${allowed} fields are allowed at the root of the schema if the status subresource is enabled`,
          ),
          goValue: "apiextensions.JSONSchemaProps{...}",
        });
        break;
      }
    }
  }
  if (schema.nullable === true)
    errs.push(field.forbidden(child(path, "openAPIV3Schema.nullable"), "nullable cannot be true at the root"));

  const structural = validateStructural(schema, root);
  let celAllowed = false;
  if (structural.length > 0) errs.push(...structural);
  else {
    const defaults = validateDefaults(schema, root, true, false);
    errs.push(...defaults);
    celAllowed = defaults.length === 0;
  }
  const checked = checkNode(schema, root, { allowDefaults: true, insideResourceMeta: false }, true, celAllowed);
  errs.push(...checked.schema, ...checked.cel);
  return errs;
}

// ---- defaults (kube's structuraldefaulting.ValidateDefaults) ----

function validateDefaults(s: JSONSchemaProps, path: string, isRoot: boolean, insideMeta: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (s.default !== undefined && !insideMeta) {
    const pruned = structuredClone(s.default);
    prune(pruned, s, isEmbeddedResource(s));
    const at = child(path, "default");
    if (!deepEqual(pruned, s.default)) {
      const e = field.invalid(at, s.default, "must not have unknown fields");
      if (typeof s.default === "object" && s.default !== null) e.goValue = goSharpV(s.default);
      errs.push(e);
    } else {
      errs.push(...compileSchemaValidator(s).validate(s.default, undefined, at));
    }
  }
  if (isSchema(s.items)) errs.push(...validateDefaults(s.items, child(path, "items"), false, insideMeta));
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    if (!isSchema(sub)) continue;
    const subInsideMeta = insideMeta || ((isRoot || isEmbeddedResource(s)) && META_FIELDS.has(k));
    errs.push(...validateDefaults(sub, key(child(path, "properties"), k), false, subInsideMeta));
  }
  return errs;
}

// ---- the OpenAPI subset (kube's ValidateCustomResourceDefinitionOpenAPISchema) ----

interface Context {
  allowDefaults: boolean;
  disallowDefaultsReason?: string;
  insideResourceMeta: boolean;
  /** The path of the nearest ancestor whose elements cannot be correlated with an old value. */
  oldSelfForbiddenIn?: string;
}

interface Checked {
  schema: FieldError[];
  cel: FieldError[];
}

function forbidOldSelf(ctx: Context, path: string): Context {
  return ctx.oldSelfForbiddenIn !== undefined ? ctx : { ...ctx, oldSelfForbiddenIn: path };
}

function standardChecks(s: JSONSchemaProps, path: string, ctx: Context): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof s.type === "string" && s.type !== "" && !OPENAPI_V3_TYPES.includes(s.type))
    errs.push(field.notSupported(child(path, "type"), s.type, OPENAPI_V3_TYPES));
  if (s.default !== undefined && !ctx.allowDefaults) {
    errs.push(
      field.forbidden(
        child(path, "default"),
        `must not be set${ctx.disallowDefaultsReason ? ` ${ctx.disallowDefaultsReason}` : ""}`,
      ),
    );
  }
  if (s.id) errs.push(field.forbidden(child(path, "id"), "id is not supported"));
  if (s.additionalItems !== undefined)
    errs.push(field.forbidden(child(path, "additionalItems"), "additionalItems is not supported"));
  if (s.patternProperties && Object.keys(s.patternProperties).length > 0)
    errs.push(field.forbidden(child(path, "patternProperties"), "patternProperties is not supported"));
  if (s.definitions && Object.keys(s.definitions).length > 0)
    errs.push(field.forbidden(child(path, "definitions"), "definitions is not supported"));
  if (s.dependencies !== undefined)
    errs.push(field.forbidden(child(path, "dependencies"), "dependencies is not supported"));
  if (s.$ref !== undefined) errs.push(field.forbidden(child(path, "$ref"), "$ref is not supported"));
  if (s.type === "null")
    errs.push(field.forbidden(child(path, "type"), "type cannot be set to null, use nullable as an alternative"));
  if (Array.isArray(s.items))
    errs.push(field.forbidden(child(path, "items"), "items must be a schema object and not an array"));
  if (ctx.insideResourceMeta && isEmbeddedResource(s))
    errs.push(
      field.forbidden(child(path, "x-kubernetes-embedded-resource"), "must not be used inside of resource meta"),
    );
  return errs;
}

function checkNode(
  s: JSONSchemaProps | undefined,
  path: string,
  ctx: Context,
  isRoot: boolean,
  celAllowed: boolean,
): Checked {
  const out: Checked = { schema: [], cel: [] };
  if (!isSchema(s)) return out;
  const add = (c: Checked) => {
    out.schema.push(...c.schema);
    out.cel.push(...c.cel);
  };
  out.schema.push(...standardChecks(s, path, ctx));
  if (s.uniqueItems === true)
    out.schema.push(
      field.forbidden(
        child(path, "uniqueItems"),
        "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
      ),
    );

  const propNames = Object.keys(s.properties ?? {}).sort();
  if (s.additionalProperties !== undefined) {
    if (propNames.length > 0 && (s.additionalProperties === false || isSchema(s.additionalProperties))) {
      out.schema.push(
        field.forbidden(
          child(path, "additionalProperties"),
          "additionalProperties and properties are mutual exclusive",
        ),
      );
    }
    const sub = ctx.insideResourceMeta
      ? {
          ...ctx,
          allowDefaults: false,
          disallowDefaultsReason: "inside additionalProperties applying to object metadata",
        }
      : ctx;
    if (isSchema(s.additionalProperties))
      add(checkNode(s.additionalProperties, child(path, "additionalProperties"), sub, false, celAllowed));
  }
  for (const k of propNames) {
    const p = s.properties?.[k];
    let sub = ctx;
    if ((isRoot || isEmbeddedResource(s)) && META_FIELDS.has(k)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = { ...sub, allowDefaults: false, disallowDefaultsReason: `in top-level ${k}` };
    }
    add(checkNode(p, key(child(path, "properties"), k), sub, false, celAllowed));
  }
  // Below the junctors CEL is never compiled (kube passes no CEL context there).
  if (isSchema(s.not)) add(checkNode(s.not, child(path, "not"), ctx, false, false));
  for (const j of ["allOf", "oneOf", "anyOf"] as const)
    (s[j] ?? []).forEach((x, i) => {
      add(checkNode(x, index(child(path, j), i), ctx, false, false));
    });
  for (const [k, d] of Object.entries(s.definitions ?? {}))
    add(checkNode(d, key(child(path, "definitions"), k), ctx, false, false));
  if (isSchema(s.items)) {
    const sub = s["x-kubernetes-list-type"] === "map" ? ctx : forbidOldSelf(ctx, path);
    add(checkNode(s.items, child(path, "items"), sub, false, celAllowed));
  } else if (Array.isArray(s.items)) {
    s.items.forEach((x, i) => {
      add(checkNode(x, index(child(path, "items"), i), forbidOldSelf(ctx, path), false, celAllowed));
    });
  }

  const errs = out.schema;
  if (s["x-kubernetes-preserve-unknown-fields"] === false)
    errs.push(field.invalid(child(path, "x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
  const mapType = s["x-kubernetes-map-type"];
  if (mapType !== undefined && s.type !== "object") {
    if (!s.type) errs.push(field.required(child(path, "type"), "must be object if x-kubernetes-map-type is specified"));
    else errs.push(field.invalid(child(path, "type"), s.type, "must be object if x-kubernetes-map-type is specified"));
  }
  if (mapType !== undefined && mapType !== "atomic" && mapType !== "granular")
    errs.push(field.notSupported(child(path, "x-kubernetes-map-type"), mapType, ["atomic", "granular"]));

  const listType = s["x-kubernetes-list-type"];
  const items = isSchema(s.items) ? s.items : undefined;
  if (listType !== undefined && s.type !== "array") {
    if (!s.type) errs.push(field.required(child(path, "type"), "must be array if x-kubernetes-list-type is specified"));
    else errs.push(field.invalid(child(path, "type"), s.type, "must be array if x-kubernetes-list-type is specified"));
  } else if (listType === "set" && items) {
    if (
      items.type === "array" &&
      items["x-kubernetes-list-type"] !== undefined &&
      items["x-kubernetes-list-type"] !== "atomic"
    ) {
      errs.push(
        field.invalid(
          child(child(path, "items"), "x-kubernetes-list-type"),
          items["x-kubernetes-list-type"],
          "must be atomic as item of a list with x-kubernetes-list-type=set",
        ),
      );
    }
    if (items.type === "object" && items["x-kubernetes-map-type"] !== "atomic") {
      errs.push(
        field.invalid(
          child(child(path, "items"), "x-kubernetes-map-type"),
          items["x-kubernetes-list-type"] ?? null,
          "must be atomic as item of a list with x-kubernetes-list-type=set",
        ),
      );
    }
  }
  if (listType !== undefined && listType !== "atomic" && listType !== "set" && listType !== "map") {
    errs.push(field.notSupported(child(path, "x-kubernetes-list-type"), listType, ["atomic", "set", "map"]));
  }
  const mapKeys = s["x-kubernetes-list-map-keys"] ?? [];
  if (mapKeys.length > 0) {
    if (listType === undefined)
      errs.push(
        field.required(child(path, "x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"),
      );
    else if (listType !== "map")
      errs.push(
        field.invalid(
          child(path, "x-kubernetes-list-type"),
          listType,
          "must be map if x-kubernetes-list-map-keys is non-empty",
        ),
      );
  }
  if (listType === "map") {
    if (mapKeys.length === 0)
      errs.push(
        field.required(child(path, "x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"),
      );
    if (s.items === undefined)
      errs.push(field.required(child(path, "items"), "must have a schema if x-kubernetes-list-type is map"));
    if (Array.isArray(s.items))
      errs.push(
        field.invalid(child(path, "items"), s.items, "must only have a single schema if x-kubernetes-list-type is map"),
      );
    if (items && items.type !== "object")
      errs.push(
        field.invalid(
          child(child(path, "items"), "type"),
          items.type ?? "",
          "must be object if parent array's x-kubernetes-list-type is map",
        ),
      );
    if (items && items.type === "object") {
      const seen = new Set<string>();
      for (const k of mapKeys) {
        const p = propertySchema(items, k);
        if (isSchema(p)) {
          if (p.type === "array" || p.type === "object") {
            errs.push(
              field.invalid(
                child(key(child(child(path, "items"), "properties"), k), "type"),
                items.type,
                "must be a scalar type if parent array's x-kubernetes-list-type is map",
              ),
            );
          }
        } else {
          errs.push({
            ...field.invalid(
              child(path, "x-kubernetes-list-map-keys"),
              mapKeys,
              "entries must all be names of item properties",
            ),
            goValue: goStrings(mapKeys),
          });
        }
        if (seen.has(k))
          errs.push({
            ...field.invalid(child(path, "x-kubernetes-list-map-keys"), mapKeys, "must not contain duplicate entries"),
            goValue: goStrings(mapKeys),
          });
        seen.add(k);
      }
    }
  }
  if ((listType === "set" || listType === "map") && items) {
    if (items.nullable === true)
      errs.push(
        field.forbidden(
          child(child(path, "items"), "nullable"),
          `cannot be nullable when x-kubernetes-list-type is ${listType}`,
        ),
      );
    if (listType === "map") {
      const required = new Set(items.required ?? []);
      for (const k of mapKeys) {
        const p = propertySchema(items, k);
        if (!isSchema(p)) continue;
        const at = key(child(child(path, "items"), "properties"), k);
        if (!required.has(k) && p.default === undefined) {
          errs.push(
            field.required(
              child(at, "default"),
              "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
            ),
          );
        }
        if (p.nullable === true)
          errs.push(
            field.forbidden(
              child(at, "nullable"),
              "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
            ),
          );
      }
    }
  }

  const rules = s["x-kubernetes-validations"] ?? [];
  if (rules.length > 0) {
    rules.forEach((r, i) => {
      const at = index(child(path, "x-kubernetes-validations"), i);
      const rule = typeof r.rule === "string" ? r.rule.trim() : "";
      const msg = typeof r.message === "string" ? r.message : "";
      if (rule === "") errs.push(field.required(child(at, "rule"), "rule is not specified"));
      else if (msg.length > 0 && msg.trim() === "")
        errs.push(field.invalid(child(at, "message"), msg, "message must be non-empty if specified"));
      else if (/[\n\r]/.test(msg.trim()))
        errs.push(field.invalid(child(at, "message"), msg, "message must not contain line breaks"));
      else if (/[\n\r]/.test(rule) && msg.trim() === "")
        errs.push(field.required(child(at, "message"), "message must be specified if rule contains line breaks"));
      if (
        typeof r.messageExpression === "string" &&
        r.messageExpression.length > 0 &&
        r.messageExpression.trim() === ""
      ) {
        errs.push(field.required(child(at, "messageExpression"), "messageExpression must be non-empty if specified"));
      }
      if (r.reason !== undefined && !VALIDATION_REASONS.includes(r.reason))
        errs.push(field.notSupported(child(at, "reason"), r.reason, VALIDATION_REASONS));
      if (typeof r.fieldPath === "string") {
        if (r.fieldPath.length > 0 && r.fieldPath.trim() === "")
          errs.push(field.invalid(child(at, "fieldPath"), r.fieldPath, "fieldPath must be non-empty if specified"));
        if (/[\n\r]/.test(r.fieldPath))
          errs.push(field.invalid(child(at, "fieldPath"), r.fieldPath, "fieldPath must not contain line breaks"));
        if (r.fieldPath.trim().length > 0 && !validFieldPath(s, r.fieldPath))
          errs.push(field.invalid(child(at, "fieldPath"), r.fieldPath, "fieldPath must be a valid path"));
      }
    });
    if (out.schema.length === 0 && celAllowed)
      out.cel.push(...celRuleCompileErrors(rules, path, ctx.oldSelfForbiddenIn));
  }
  return out;
}

function goStrings(list: string[]): string {
  return `[]string{${list.map((s) => JSON.stringify(s)).join(", ")}}`;
}

/** A rule's fieldPath names fields of the schema: `.a.b` or `['a.b']`, no list indexes. */
function validFieldPath(s: JSONSchemaProps, fp: string): boolean {
  const tokens = fp.match(/\.[^.[\]]+|\['(?:[^'\\]|\\.)*'\]/g);
  if (!tokens || tokens.join("") !== fp) return false;
  let cur: JSONSchemaProps | undefined = s;
  for (const t of tokens) {
    const name = t.startsWith(".") ? t.slice(1) : t.slice(2, -2);
    if (!cur) return false;
    if (cur.properties) cur = Object.hasOwn(cur.properties, name) ? cur.properties[name] : undefined;
    else if (isSchema(cur.additionalProperties)) cur = cur.additionalProperties;
    else return false;
    if (!isSchema(cur)) return false;
  }
  return true;
}
