// OpenAPI validation of custom resources with ajv, reported as kube-apiserver reports it: ajv's
// errors become field errors worded like kube-openapi's validator and apiextensions-apiserver's
// conversion to field errors (`spec.replicas: Invalid value: -1: spec.replicas in body should be
// greater than or equal to 0`). Each schema is compiled once; validation is per request.

import type { default as Ajv, ErrorObject, ValidateFunction } from "ajv";
import { deepEqual } from "../object-codec.ts";
import { setOwn } from "../../machinery/object.ts";
import { field, type FieldError } from "../../machinery/status.ts";
import { goNumber, goQuote, jsonTypeName } from "./go-json-values.ts";
import { isIntOrString, isSchema, type JSONSchemaProps } from "./schema-types.ts";
import { ajvModule } from "../../util/lazy-modules.ts";
import { STRING_FORMATS, stringFormat } from "./string-formats.ts";

/** Where the original (OpenAPI) type of a node is kept on the ajv schema, for messages. */
const TYPE_NAME = "x-kcp-type";

/** One ajv instance, made (and ajv loaded) when the first schema is compiled, not at start-up. */
let shared: Ajv | undefined;
function sharedAjv(): Ajv {
  if (shared) return shared;
  const AjvClass = ajvModule().default;
  const ajv = new AjvClass({
    allErrors: true,
    strict: false,
    // Properties and required fields are looked up as own members: `{}` has no `toString` field.
    ownProperties: true,
    verbose: true,
    validateFormats: true,
    unicodeRegExp: true,
  });
  for (const name of STRING_FORMATS) {
    const check = stringFormat(name) as (s: string) => boolean;
    ajv.addFormat(name, { type: "string", validate: check });
  }
  shared = ajv;
  return ajv;
}

export interface SchemaValidator {
  /**
   * Field errors of `obj` against the schema, paths prefixed with `prefix`. With `old` (an update),
   * errors in parts that did not change are dropped, as kube's validation ratcheting does.
   */
  validate(obj: unknown, old?: unknown, prefix?: string): FieldError[];
}

/** Compile a structural schema. A schema ajv cannot compile validates everything as that error. */
export function compileSchemaValidator(schema: JSONSchemaProps): SchemaValidator {
  const converted = toAjv(schema);
  let fn: ValidateFunction;
  const ajv = sharedAjv();
  try {
    fn = ajv.compile(converted);
  } catch (e) {
    const msg = (e as Error).message;
    return {
      validate: (_obj, _old, prefix = "") => [field.invalid(prefix || "<nil>", "", `error building validator: ${msg}`)],
    };
  } finally {
    // The compiled function stays usable; the cache would otherwise keep every schema ever seen.
    ajv.removeSchema(converted);
  }
  return {
    validate(obj, old, prefix = "") {
      if (fn(obj)) return [];
      let errs = selectAnyOfBranches(fn.errors ?? []);
      if (old !== undefined) errs = errs.filter((e) => !unchanged(obj, old, pointer(e.instancePath)));
      return errs.flatMap((e) => toFieldErrors(e, obj, prefix));
    },
  };
}

// ---- OpenAPI v3 (CRD dialect) → JSON Schema for ajv ----

function toAjv(s: JSONSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let types: string[] | undefined;
  if (isIntOrString(s)) types = ["integer", "string"];
  else if (typeof s.type === "string" && s.type) types = [s.type];
  if (types) {
    out[TYPE_NAME] = types.join(",");
    const withNull = s.nullable === true ? [...types, "null"] : types;
    out.type = withNull.length === 1 ? withNull[0] : withNull;
  }
  if (typeof s.format === "string" && stringFormat(s.format)) out.format = s.format;
  if (typeof s.maximum === "number") {
    if (s.exclusiveMaximum === true) out.exclusiveMaximum = s.maximum;
    else out.maximum = s.maximum;
  }
  if (typeof s.minimum === "number") {
    if (s.exclusiveMinimum === true) out.exclusiveMinimum = s.minimum;
    else out.minimum = s.minimum;
  }
  for (const k of [
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "multipleOf",
  ] as const) {
    if (typeof s[k] === "number") out[k] = s[k];
  }
  if (typeof s.pattern === "string") out.pattern = s.pattern;
  if (s.uniqueItems === true) out.uniqueItems = true;
  if (Array.isArray(s.enum)) out.enum = s.enum;
  if (Array.isArray(s.required)) out.required = s.required.filter((r) => typeof r === "string");
  if (s.properties && typeof s.properties === "object") {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties)) if (isSchema(v)) setOwn(props, k, toAjv(v));
    out.properties = props;
  }
  if (isSchema(s.additionalProperties)) out.additionalProperties = toAjv(s.additionalProperties);
  else if (s.additionalProperties === false) out.additionalProperties = false;
  if (isSchema(s.items)) out.items = toAjv(s.items);
  for (const k of ["allOf", "anyOf", "oneOf"] as const) {
    const list = s[k];
    if (Array.isArray(list) && list.length > 0) out[k] = list.filter(isSchema).map(toAjv);
  }
  if (isSchema(s.not)) out.not = toAjv(s.not);
  return out;
}

// ---- ajv errors → kube field errors ----

function pointer(instancePath: string): string[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The dotted path kube-openapi names a value by: `spec.items[0].name`. */
function pathName(data: unknown, segs: string[]): string {
  let out = "";
  let cur: unknown = data;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      out += `[${s}]`;
      cur = cur[Number(s)];
    } else {
      out = out ? `${out}.${s}` : s;
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[s] : undefined;
    }
  }
  return out;
}

/** Ratcheting: the value at `segs` (or any object above it) is the same in old and new. Lists are compared whole. */
function unchanged(obj: unknown, old: unknown, segs: string[]): boolean {
  let a: unknown = obj;
  let b: unknown = old;
  for (let i = 0; ; i++) {
    if (deepEqual(a, b)) return true;
    if (
      i === segs.length ||
      Array.isArray(a) ||
      !a ||
      typeof a !== "object" ||
      !b ||
      typeof b !== "object" ||
      Array.isArray(b)
    )
      return false;
    const k = segs[i] as string;
    a = (a as Record<string, unknown>)[k];
    b = (b as Record<string, unknown>)[k];
    if (b === undefined) return false;
  }
}

/**
 * For a failed anyOf, kube reports the errors of the branch that came closest: keep the branch
 * with the fewest errors and drop the others (ajv reports every branch).
 */
function selectAnyOfBranches(errs: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const e of errs) {
    if (e.keyword !== "anyOf" && e.keyword !== "oneOf") continue;
    const base = `${e.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const x of errs) {
      if (!x.schemaPath.startsWith(base)) continue;
      const branch = x.schemaPath.slice(base.length).split("/")[0] as string;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), x]);
    }
    let best: string | undefined;
    for (const [b, list] of byBranch)
      if (best === undefined || list.length < (byBranch.get(best)?.length ?? 0)) best = b;
    for (const [b, list] of byBranch) if (b !== best || e.keyword === "oneOf") for (const x of list) dropped.add(x);
  }
  return errs.filter((e) => !dropped.has(e));
}

function typeNameOf(e: ErrorObject): string {
  const ps = e.parentSchema as Record<string, unknown> | undefined;
  const t = ps?.[TYPE_NAME];
  if (typeof t === "string") return t;
  const p = (e.params as { type?: string | string[] }).type;
  return Array.isArray(p) ? p.filter((x) => x !== "null").join(",") : String(p ?? "");
}

/** Limits are printed as Go prints them: as int64 for integer data, as float64 otherwise. */
function limitText(limit: number, data: unknown): string {
  return typeof data === "number" && Number.isInteger(data) ? String(Math.trunc(limit)) : goNumber(limit);
}

function toFieldErrors(e: ErrorObject, data: unknown, prefix: string): FieldError[] {
  const segs = pointer(e.instancePath);
  const name = pathName(data, segs);
  const at = (n: string) => (prefix ? (n ? `${prefix}.${n}` : prefix) : n || "<nil>");
  const path = at(name);
  const value = e.data;
  const params = e.params as Record<string, unknown>;
  const inBody = `${name} in body`;
  switch (e.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      return [field.required(at(name ? `${name}.${missing}` : missing))];
    }
    case "type": {
      const actual = jsonTypeName(value);
      return [field.typeInvalid(path, actual, `${inBody} must be of type ${typeNameOf(e)}: ${goQuote(actual)}`)];
    }
    case "format":
      return [
        field.typeInvalid(path, value, `${inBody} must be of type ${String(params.format)}: ${goQuote(String(value))}`),
      ];
    case "enum": {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      return [
        field.notSupported(
          path,
          value,
          allowed.map((v) => (typeof v === "string" ? v : JSON.stringify(v))),
        ),
      ];
    }
    case "pattern":
      return [field.invalid(path, value, `${inBody} should match '${String(params.pattern)}'`)];
    case "minLength":
      return [field.invalid(path, value, `${inBody} should be at least ${String(params.limit)} chars long`)];
    case "maxLength":
      return [field.tooLong(path, value, Number(params.limit))];
    case "minimum":
      return [
        field.invalid(
          path,
          value,
          `${inBody} should be greater than or equal to ${limitText(Number(params.limit), value)}`,
        ),
      ];
    case "exclusiveMinimum":
      return [field.invalid(path, value, `${inBody} should be greater than ${limitText(Number(params.limit), value)}`)];
    case "maximum":
      return [
        field.invalid(
          path,
          value,
          `${inBody} should be less than or equal to ${limitText(Number(params.limit), value)}`,
        ),
      ];
    case "exclusiveMaximum":
      return [field.invalid(path, value, `${inBody} should be less than ${limitText(Number(params.limit), value)}`)];
    case "multipleOf":
      return [
        field.invalid(path, value, `${inBody} should be a multiple of ${limitText(Number(params.multipleOf), value)}`),
      ];
    case "minItems":
      return [
        field.invalid(
          path,
          Array.isArray(value) ? value.length : 0,
          `${inBody} should have at least ${String(params.limit)} items`,
        ),
      ];
    case "maxItems": {
      const n = Array.isArray(value) ? value.length : 0;
      return [
        {
          type: "FieldValueTooMany",
          field: path,
          value: n,
          detail: `${n}: must have at most ${String(params.limit)} ${Number(params.limit) === 1 ? "item" : "items"}`,
        },
      ];
    }
    case "uniqueItems":
      return [field.invalid(path, "", `${inBody} shouldn't contain duplicates`)];
    case "minProperties":
      return [
        field.invalid(path, Number(params.limit), `${inBody} should have at least ${String(params.limit)} properties`),
      ];
    case "maxProperties":
      // kube passes the limit where the count belongs and no limit, hence this odd wording.
      return [
        {
          type: "FieldValueTooMany",
          field: path,
          value: Number(params.limit),
          detail: `${String(params.limit)}: has too many items`,
        },
      ];
    case "additionalProperties": {
      const k = String(params.additionalProperty);
      return [field.invalid(path, k, `${name}.${k} in body is a forbidden property`)];
    }
    case "anyOf":
      return [field.invalid("<nil>", "", `${goQuote(name)} must validate at least one schema (anyOf)`)];
    case "oneOf": {
      const passing = params.passingSchemas;
      const found = Array.isArray(passing) ? `Found ${passing.length} valid alternatives` : "Found none valid";
      return [field.invalid("<nil>", "", `${goQuote(name)} must validate one and only one schema (oneOf). ${found}`)];
    }
    case "not":
      return [field.invalid("<nil>", "", `${goQuote(name)} must not validate the schema (not)`)];
    default:
      return [field.invalid(path, value ?? "", `${inBody} ${e.message ?? "is invalid"}`)];
  }
}
