// The schema half of API negotiation: is one cluster's schema for a resource compatible with the
// schema kcp serves, and what is the lowest common denominator (LCD) of the two? A document kcp
// stores under the LCD is later written to every physical cluster, so the LCD must accept only
// documents that each cluster accepts too, and keep only fields that no cluster silently drops.
//
// `existing` (E) is the negotiated schema so far, `incoming` (N) a cluster's schema. The LCD (L)
// always starts as a copy of E and is only ever narrowed — it never gains properties only N has.
// Without narrowing, any way in which N is narrower than E is an incompatibility; with narrowing,
// the restrictions that can be expressed on E's shape (fewer properties, fewer enum values, tighter
// bounds, added `required`, non-nullable, integer for number, CEL rules, …) are applied to L, and
// only what cannot be expressed is reported. Whatever the comparison does not understand is
// reported as not supported instead of being accepted. docs/multi-cluster.md lists the rules.
//
// Schemas come from other clusters: the walk is bounded (depth and nodes), keys of `properties`
// never reach Object.prototype, and the inputs are never modified.

import { isObject } from "../../machinery/object.ts";
import { child, key } from "../crd/field-path.ts";
import { deepEqual } from "../object-codec.ts";
import { stringFormat } from "../crd/string-formats.ts";

export interface SchemaIncompatibility {
  reason: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueNotSupported";
  field: string;
  message: string;
}

export type LcdResult =
  | { ok: true; lcd: Record<string, unknown> }
  | {
      ok: false;
      errors: SchemaIncompatibility[];
      message: string /* errors joined by "; ", each "<field>: <message>" */;
    };

/** Deeper schemas than this are refused: kube's own pod spec is about 15 levels deep. */
export const MAX_SCHEMA_DEPTH = 64;
/** Schema nodes visited per comparison (both sides, copies included); a full pod spec is a few thousand. */
export const MAX_SCHEMA_NODES = 200_000;

type Schema = Record<string, unknown>;

const TOO_BIG = `the schema is too large for the schema negotiation (more than ${MAX_SCHEMA_DEPTH} levels or ${MAX_SCHEMA_NODES} nodes)`;

/** Keywords with no effect on which documents are accepted: L keeps E's. */
const ANNOTATIONS = new Set(["description", "title", "example", "externalDocs"]);
/** Keywords compared by the rules below. */
const HANDLED = new Set([
  "type",
  "format",
  "default",
  "nullable",
  "enum",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "multipleOf",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "items",
  "maxProperties",
  "minProperties",
  "required",
  "properties",
  "additionalProperties",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);
/** Value junctors: accepted only when both sides have the same ones. */
const JUNCTORS = ["allOf", "anyOf", "oneOf", "not"] as const;

/** The JSON type each handled keyword must have; anything else is not understood. */
const KEYWORD_TYPES: Record<string, "number" | "boolean" | "string" | "array" | "object" | "schemaOrBool"> = {
  type: "string",
  format: "string",
  nullable: "boolean",
  enum: "array",
  maximum: "number",
  exclusiveMaximum: "boolean",
  minimum: "number",
  exclusiveMinimum: "boolean",
  multipleOf: "number",
  maxLength: "number",
  minLength: "number",
  pattern: "string",
  maxItems: "number",
  minItems: "number",
  uniqueItems: "boolean",
  items: "object",
  maxProperties: "number",
  minProperties: "number",
  required: "array",
  properties: "object",
  additionalProperties: "schemaOrBool",
  "x-kubernetes-preserve-unknown-fields": "boolean",
  "x-kubernetes-embedded-resource": "boolean",
  "x-kubernetes-int-or-string": "boolean",
  "x-kubernetes-list-type": "string",
  "x-kubernetes-list-map-keys": "array",
  "x-kubernetes-map-type": "string",
  "x-kubernetes-validations": "array",
};

/** Keywords that count (characters, items, properties): kube wants non-negative integers. */
const COUNTS = new Set(["maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"]);

type JsonType = "string" | "integer" | "number" | "boolean" | "array" | "object";
const JSON_TYPES: readonly JsonType[] = ["string", "integer", "number", "boolean", "array", "object"];

interface Ctx {
  narrow: boolean;
  errors: SchemaIncompatibility[];
  nodes: number;
  /** Narrowings applied so far: a node whose subtree narrowed re-checks its default. */
  narrowings: number;
  tooBig: boolean;
}

/**
 * Compare `incoming` with `existing` (both openAPIV3Schema objects). On success `lcd` is `existing`
 * (a copy) when not narrowing, else `existing` narrowed to accept only what `incoming` accepts too.
 * `path` names the root in errors, e.g. the kind: `Deployment.properties[spec]…`.
 */
export function lowestCommonDenominator(
  path: string,
  existing: unknown,
  incoming: unknown,
  narrowExisting: boolean,
): LcdResult {
  const ctx: Ctx = { narrow: narrowExisting, errors: [], nodes: 0, narrowings: 0, tooBig: false };
  let lcd: Schema = {};
  if (!isObject(existing)) invalid(ctx, path, "existing schema is not an object");
  else if (!isObject(incoming)) invalid(ctx, path, "new schema doesn't allow anything");
  else lcd = compareNode(ctx, path, existing, incoming, 0);
  // A copy that ran out of budget left holes in the LCD: never hand that out.
  if (ctx.tooBig && !ctx.errors.some((e) => e.message === TOO_BIG)) forbidden(ctx, path, TOO_BIG);
  if (ctx.errors.length > 0) {
    return {
      ok: false,
      errors: ctx.errors,
      message: ctx.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; "),
    };
  }
  return { ok: true, lcd };
}

// ---- errors ----

function invalid(ctx: Ctx, field: string, message: string): undefined {
  ctx.errors.push({ reason: "FieldValueInvalid", field, message });
}

function forbidden(ctx: Ctx, field: string, message: string): undefined {
  ctx.errors.push({ reason: "FieldValueForbidden", field, message });
}

function notSupported(ctx: Ctx, field: string, construct: string): undefined {
  forbidden(ctx, field, `the ${construct} is not supported by the schema negotiation`);
}

/** Values in messages come from other clusters: long ones are cut. */
function clip(text: string): string {
  return text.length <= 1000 ? text : `${text.slice(0, 1000)}… (${text.length - 1000} more characters)`;
}
const show = (v: unknown): string => (v === undefined ? "unset" : clip(JSON.stringify(v)));
const list = (keys: readonly unknown[]): string => clip(JSON.stringify(keys));

// ---- helpers on plain JSON ----

/** Set an own enumerable key, even "__proto__" (plain assignment would change the prototype). */
function setOwn(o: Schema, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function own(o: unknown, k: string): unknown {
  return isObject(o) && Object.hasOwn(o, k) ? o[k] : undefined;
}

/** A deep copy of JSON data, counted against the node budget. */
function copy(ctx: Ctx, v: unknown, depth: number): unknown {
  if (++ctx.nodes > MAX_SCHEMA_NODES || depth > MAX_SCHEMA_DEPTH * 2) {
    ctx.tooBig = true;
    return null;
  }
  if (Array.isArray(v)) return v.map((x) => copy(ctx, x, depth + 1));
  if (isObject(v)) {
    const out: Schema = {};
    for (const k of Object.keys(v)) setOwn(out, k, copy(ctx, v[k], depth + 1));
    return out;
  }
  return v;
}

/** A canonical text of a JSON value (key order ignored), to compare values as set members. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

// ---- types ----

/** The JSON types a node accepts (`undefined` = any), integer-or-string counted as both. */
function typesOf(s: Schema): Set<JsonType> | undefined {
  if (own(s, "x-kubernetes-int-or-string") === true) return new Set(["integer", "string"]);
  const t = own(s, "type");
  if (typeof t === "string" && t !== "") return new Set([t as JsonType]);
  return undefined;
}

/** Whether a type set accepts values of JSON type `t` (numbers accept integers). */
function typeAccepts(set: Set<JsonType> | undefined, t: JsonType): boolean {
  if (!set) return true;
  return set.has(t) || (t === "integer" && set.has("number"));
}

/** The standard anyOf of an int-or-string node: part of the int-or-string marker, not a junctor. */
function isIntOrStringAnyOf(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const types = v.map((b) => (isObject(b) && Object.keys(b).length === 1 ? b.type : undefined)).sort();
  return types[0] === "integer" && types[1] === "string";
}

// ---- the walk ----

function compareNode(ctx: Ctx, path: string, e: Schema, n: Schema, depth: number): Schema {
  ctx.nodes += 2;
  if (ctx.nodes > MAX_SCHEMA_NODES || depth > MAX_SCHEMA_DEPTH) {
    if (!ctx.tooBig) forbidden(ctx, path, TOO_BIG);
    ctx.tooBig = true;
    return {};
  }
  const before = ctx.narrowings;
  if (!checkKeywords(ctx, path, e, n)) return {};

  // L starts as E: annotations and everything E says stay unless a rule below narrows them.
  const l: Schema = {};
  for (const k of Object.keys(e)) {
    // Subschemas are filled in below; the placeholder keeps E's key order in L.
    const sub = k === "properties" || k === "items" || (k === "additionalProperties" && isObject(e[k]));
    setOwn(l, k, sub ? undefined : copy(ctx, e[k], depth));
  }

  const types = compareTypes(ctx, path, l, e, n);
  const may = (t: JsonType) => typeAccepts(types, t);
  compareNullable(ctx, path, l, e, n);
  compareEnum(ctx, path, l, e, n);
  comparePreserveUnknown(ctx, path, l, e, n);
  if (may("string")) compareStringRules(ctx, path, l, e, n);
  if (may("integer") || may("number")) compareNumberRules(ctx, path, l, e, n);
  if (may("array")) compareArrayRules(ctx, path, l, e, n, depth, !!types);
  else if (isObject(own(e, "items"))) setOwn(l, "items", copy(ctx, e.items, depth));
  if (may("object")) compareObjectRules(ctx, path, l, e, n, depth);
  else {
    if (isObject(own(e, "properties"))) setOwn(l, "properties", copy(ctx, e.properties, depth));
    if (own(e, "additionalProperties") !== undefined)
      setOwn(l, "additionalProperties", copy(ctx, e.additionalProperties, depth));
  }
  compareValidations(ctx, path, l, e, n);
  for (const k of Object.keys(l)) if (l[k] === undefined) delete l[k];
  if (ctx.narrow && ctx.narrowings > before && own(l, "default") !== undefined) {
    // The default was valid for E; once L is narrower it may not be valid for L (nor for N).
    if (!defaultAccepted(l, l.default, 0)) {
      delete l.default;
      ctx.narrowings++;
    }
  }
  return l;
}

/** Every keyword of both sides is one the rules understand, with the JSON type it must have. */
function checkKeywords(ctx: Ctx, path: string, e: Schema, n: Schema): boolean {
  let ok = true;
  const seen = new Set<string>();
  for (const [side, s] of [
    ["existing", e],
    ["new", n],
  ] as const) {
    for (const k of Object.keys(s)) {
      const v = s[k];
      if (v === undefined || ANNOTATIONS.has(k)) continue;
      if ((JUNCTORS as readonly string[]).includes(k)) continue;
      if (!HANDLED.has(k)) {
        if (!seen.has(k)) notSupported(ctx, child(path, k), `"${k}" JSON Schema construct`);
        seen.add(k);
        ok = false;
        continue;
      }
      const want = KEYWORD_TYPES[k];
      const good =
        want === undefined ||
        ((want === "array"
          ? Array.isArray(v)
          : want === "object"
            ? isObject(v)
            : want === "schemaOrBool"
              ? isObject(v) || typeof v === "boolean"
              : typeof v === want && (want !== "number" || Number.isFinite(v))) &&
          (!COUNTS.has(k) || (Number.isSafeInteger(v) && (v as number) >= 0)) &&
          (k !== "multipleOf" || (v as number) > 0));
      if (!good) {
        notSupported(ctx, child(path, k), `${side} value ${show(v)} of "${k}"`);
        ok = false;
      }
    }
  }
  for (const s of [e, n])
    if (Array.isArray(own(s, "enum")) && (s.enum as unknown[]).length === 0) {
      // kube reads an empty enum as none, JSON Schema as "nothing": too ambiguous to compare.
      notSupported(ctx, child(path, "enum"), "empty enum");
      ok = false;
    }
  const type = [own(e, "type"), own(n, "type")];
  for (const t of type)
    if (typeof t === "string" && t !== "" && !(JSON_TYPES as readonly string[]).includes(t)) {
      ctx.errors.push({
        reason: "FieldValueNotSupported",
        field: child(path, "type"),
        message: `Unsupported value: ${show(t)}: supported values: ${JSON_TYPES.map((x) => `"${x}"`).join(", ")}`,
      });
      ok = false;
    }
  for (const j of JUNCTORS) {
    let ev = own(e, j);
    let nv = own(n, j);
    if (j === "anyOf") {
      // An int-or-string node's usual anyOf only restates the marker.
      if (own(e, "x-kubernetes-int-or-string") === true && isIntOrStringAnyOf(ev)) ev = undefined;
      if (own(n, "x-kubernetes-int-or-string") === true && isIntOrStringAnyOf(nv)) nv = undefined;
    }
    if ((ev !== undefined || nv !== undefined) && !deepEqual(ev, nv)) {
      notSupported(ctx, child(path, j), `"${j}" JSON Schema construct (unless equal on both sides)`);
      ok = false;
    }
  }
  return ok;
}

function compareTypes(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): Set<JsonType> | undefined {
  const et = typesOf(e);
  const nt = typesOf(n);
  if (!nt) return et;
  const candidates: JsonType[] = et ? [...et] : [...JSON_TYPES];
  let kept = candidates.filter((t) => typeAccepts(nt, t));
  // A number that N wants as an integer narrows to integer; a number already covers integers.
  if (candidates.includes("number") && !kept.includes("integer") && nt.has("integer")) kept.push("integer");
  if (kept.includes("number")) kept = kept.filter((t) => t !== "integer");
  if (et && kept.length === et.size && kept.every((t) => et.has(t))) return et;
  const was = et ? [...et].join(",") : "";
  const now = [...nt].join(",");
  const expressible = kept.length === 1 || (kept.length === 2 && kept.includes("integer") && kept.includes("string"));
  if (!ctx.narrow || !expressible || kept.length === 0) {
    invalid(ctx, child(path, "type"), `The type changed (was ${show(was)}, now ${show(now)})`);
    return et;
  }
  ctx.narrowings++;
  if (kept.length === 1) {
    setOwn(l, "type", kept[0]);
    delete l["x-kubernetes-int-or-string"];
    if (isIntOrStringAnyOf(l.anyOf)) delete l.anyOf;
  } else {
    delete l.type;
    setOwn(l, "x-kubernetes-int-or-string", true);
  }
  return new Set(kept);
}

function compareNullable(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): void {
  if (own(e, "nullable") !== true || own(n, "nullable") === true) return;
  if (ctx.narrow) {
    delete l.nullable;
    ctx.narrowings++;
  } else
    invalid(
      ctx,
      child(path, "nullable"),
      "nullable value has been changed in an incompatible way (was true, now false)",
    );
}

function compareEnum(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): undefined {
  const ne = own(n, "enum") as unknown[] | undefined;
  if (!ne) return;
  const ee = own(e, "enum") as unknown[] | undefined;
  const p = child(path, "enum");
  const nSet = new Set(ne.map(canonical));
  if (!ee) {
    if (!ctx.narrow) return invalid(ctx, p, `enum has been added in an incompatible way: ${list(ne)}`);
    setOwn(l, "enum", copy(ctx, ne, 0));
    ctx.narrowings++;
    return;
  }
  const removed = ee.filter((v) => !nSet.has(canonical(v)));
  if (removed.length === 0) return;
  if (!ctx.narrow) return invalid(ctx, p, `enum values have been removed in an incompatible way: ${list(removed)}`);
  const kept = ee.filter((v) => nSet.has(canonical(v)));
  if (kept.length === 0)
    return invalid(ctx, p, `no enum value is allowed by both schemas (was ${list(ee)}, now ${list(ne)})`);
  setOwn(l, "enum", copy(ctx, kept, 0));
  ctx.narrowings++;
}

function comparePreserveUnknown(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): void {
  const ep = own(e, "x-kubernetes-preserve-unknown-fields") === true;
  const np = own(n, "x-kubernetes-preserve-unknown-fields") === true;
  if (!ep || np) return; // N keeping unknown fields that E prunes is harmless
  if (ctx.narrow) {
    delete l["x-kubernetes-preserve-unknown-fields"];
    ctx.narrowings++;
  } else
    invalid(
      ctx,
      child(path, "x-kubernetes-preserve-unknown-fields"),
      "x-kubernetes-preserve-unknown-fields value changed (was true, now false)",
    );
}

/**
 * An upper bound (`maxLength`, `maximum` with `exclusiveMaximum`, …) or, with `lower`, a lower one:
 * E's must be at least as tight as N's; narrowing takes N's.
 */
function compareBound(
  ctx: Ctx,
  path: string,
  l: Schema,
  e: Schema,
  n: Schema,
  k: string,
  lower: boolean,
  ex?: string,
): undefined {
  const nv = own(n, k) as number | undefined;
  if (nv === undefined) return;
  const ev = own(e, k) as number | undefined;
  const nx = ex !== undefined && own(n, ex) === true;
  const exE = ex !== undefined && own(e, ex) === true;
  if (ev !== undefined) {
    const tighter = lower ? ev > nv : ev < nv;
    if (tighter || (ev === nv && (exE || !nx))) return;
  }
  if (!ctx.narrow) {
    const was = ev === undefined ? "unset" : `${exE ? "exclusive " : ""}${ev}`;
    const now = `${nx ? "exclusive " : ""}${nv}`;
    return invalid(ctx, child(path, k), `${k} value has been changed in an incompatible way (was ${was}, now ${now})`);
  }
  setOwn(l, k, nv);
  if (ex !== undefined) {
    if (nx) setOwn(l, ex, true);
    else delete l[ex];
  }
  ctx.narrowings++;
}

/** After narrowing, a lower bound above the upper one leaves no value: not an LCD anyone can use. */
function checkRange(ctx: Ctx, path: string, l: Schema, min: string, max: string): void {
  const lo = l[min];
  const hi = l[max];
  if (typeof lo === "number" && typeof hi === "number" && lo > hi)
    invalid(ctx, child(path, min), `no value is allowed by both schemas (${min} ${lo} is above ${max} ${hi})`);
}

function compareStringRules(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): void {
  compareBound(ctx, path, l, e, n, "maxLength", false);
  compareBound(ctx, path, l, e, n, "minLength", true);
  checkRange(ctx, path, l, "minLength", "maxLength");
  // Formats the validators do not know are not checked by kcp or by kube: they restrict nothing.
  const known = (f: unknown) => (typeof f === "string" && stringFormat(f) ? f : undefined);
  const ef = known(own(e, "format"));
  const nf = known(own(n, "format"));
  if (nf !== undefined && nf !== ef) {
    if (ctx.narrow && ef === undefined) {
      setOwn(l, "format", nf);
      ctx.narrowings++;
    } else
      invalid(
        ctx,
        child(path, "format"),
        `format value has been changed in an incompatible way (was ${show(ef)}, now ${show(nf)})`,
      );
  }
  const ep = own(e, "pattern");
  const np = own(n, "pattern");
  if (np !== undefined && np !== ep) {
    if (ctx.narrow && ep === undefined) {
      setOwn(l, "pattern", np);
      ctx.narrowings++;
    } else
      invalid(
        ctx,
        child(path, "pattern"),
        `pattern value has been changed in an incompatible way (was ${show(ep)}, now ${show(np)})`,
      );
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function compareNumberRules(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): undefined {
  compareBound(ctx, path, l, e, n, "maximum", false, "exclusiveMaximum");
  compareBound(ctx, path, l, e, n, "minimum", true, "exclusiveMinimum");
  checkRange(ctx, path, l, "minimum", "maximum");
  const nm = own(n, "multipleOf") as number | undefined;
  const em = own(e, "multipleOf") as number | undefined;
  if (nm === undefined || em === nm) return;
  const ints = Number.isSafeInteger(nm) && nm > 0 && (em === undefined || (Number.isSafeInteger(em) && em > 0));
  if (em !== undefined && ints && em % nm === 0) return;
  const p = child(path, "multipleOf");
  const msg = `multipleOf value has been changed in an incompatible way (was ${show(em)}, now ${nm})`;
  if (!ctx.narrow) return invalid(ctx, p, msg);
  if (em === undefined) setOwn(l, "multipleOf", nm);
  else if (ints) {
    const lcm = (em / gcd(em, nm)) * nm;
    if (!Number.isSafeInteger(lcm)) return invalid(ctx, p, msg);
    setOwn(l, "multipleOf", lcm);
  } else return invalid(ctx, p, msg);
  ctx.narrowings++;
}

const LIST_TYPES = ["atomic", "set", "map"];

function mapKeys(s: Schema): string[] | undefined {
  const k = own(s, "x-kubernetes-list-map-keys");
  return Array.isArray(k) && k.every((x) => typeof x === "string") ? (k as string[]) : undefined;
}

function compareArrayRules(
  ctx: Ctx,
  path: string,
  l: Schema,
  e: Schema,
  n: Schema,
  depth: number,
  typed: boolean,
): undefined {
  compareBound(ctx, path, l, e, n, "maxItems", false);
  compareBound(ctx, path, l, e, n, "minItems", true);
  checkRange(ctx, path, l, "minItems", "maxItems");
  if (own(n, "uniqueItems") === true && own(e, "uniqueItems") !== true) {
    if (ctx.narrow) {
      setOwn(l, "uniqueItems", true);
      ctx.narrowings++;
    } else
      invalid(
        ctx,
        child(path, "uniqueItems"),
        "uniqueItems value has been changed in an incompatible way (was false, now true)",
      );
  }
  const ei = own(e, "items");
  const ni = own(n, "items");
  if (isObject(ei) && isObject(ni)) setOwn(l, "items", compareNode(ctx, child(path, "items"), ei, ni, depth + 1));
  else if (ei !== undefined || ni !== undefined || typed)
    notSupported(ctx, child(path, "items"), "array without items");

  // List types, compared by the uniqueness they enforce (atomic: none, set: whole items, map: keys).
  const p = child(path, "x-kubernetes-list-type");
  const elt = own(e, "x-kubernetes-list-type") ?? "atomic";
  const nlt = own(n, "x-kubernetes-list-type") ?? "atomic";
  for (const v of [elt, nlt])
    if (!LIST_TYPES.includes(v as string)) return notSupported(ctx, p, `list type ${show(v)}`);
  const ek = mapKeys(e) ?? [];
  const nk = mapKeys(n) ?? [];
  if (nlt === "atomic") return;
  if (nlt === "set" && (elt === "set" || elt === "map")) return; // items unique by keys are unique
  if (nlt === "map" && elt === "map") {
    if (ek.length > 0 && ek.every((k) => nk.includes(k))) return; // unique by fewer keys is stricter
    const mp = child(path, "x-kubernetes-list-map-keys");
    return invalid(
      ctx,
      mp,
      `x-kubernetes-list-map-keys value has been changed in an incompatible way (was ${list(ek)}, now ${list(nk)})`,
    );
  }
  const msg = `x-kubernetes-list-type value has been changed in an incompatible way (was ${show(elt)}, now ${show(nlt)})`;
  if (!ctx.narrow) return invalid(ctx, p, msg);
  if (nlt === "set") {
    setOwn(l, "x-kubernetes-list-type", "set");
    delete l["x-kubernetes-list-map-keys"];
  } else {
    // A map list's keys must be scalar properties of the items, required or defaulted (CRD validation).
    const itemProps = own(l.items, "properties");
    const itemReq = own(l.items, "required");
    const usable = (k: string) => {
      const ps = own(itemProps, k);
      if (!isObject(ps) || ps.type === "object" || ps.type === "array") return false;
      return (Array.isArray(itemReq) && itemReq.includes(k)) || own(ps, "default") !== undefined;
    };
    if (nk.length === 0 || !nk.every(usable))
      return invalid(ctx, p, `${msg}: the list map keys ${list(nk)} are not required scalar properties of the items`);
    setOwn(l, "x-kubernetes-list-type", "map");
    setOwn(l, "x-kubernetes-list-map-keys", [...nk]);
  }
  ctx.narrowings++;
}

/**
 * What a node does with a key that is not one of its properties: prunes it, keeps it whole
 * (preserve-unknown-fields), or validates and prunes it by a schema. `additionalProperties: true`
 * is the empty schema: any value is accepted, but (as kube prunes) the fields of an object value
 * are dropped, so it is not "anything".
 */
type Others = { kind: "pruned" } | { kind: "any" } | { kind: "schema"; schema: Schema };

function othersOf(s: Schema): Others {
  const ap = own(s, "additionalProperties");
  if (isObject(ap)) return { kind: "schema", schema: ap };
  if (own(s, "x-kubernetes-preserve-unknown-fields") === true) return { kind: "any" };
  if (ap === true) return { kind: "schema", schema: {} };
  return { kind: "pruned" };
}

function compareObjectRules(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema, depth: number): void {
  compareBound(ctx, path, l, e, n, "maxProperties", false);
  compareBound(ctx, path, l, e, n, "minProperties", true);
  checkRange(ctx, path, l, "minProperties", "maxProperties");

  if ((own(e, "x-kubernetes-embedded-resource") === true) !== (own(n, "x-kubernetes-embedded-resource") === true))
    invalid(
      ctx,
      child(path, "x-kubernetes-embedded-resource"),
      `x-kubernetes-embedded-resource value changed (was ${own(e, "x-kubernetes-embedded-resource") === true}, now ${own(n, "x-kubernetes-embedded-resource") === true})`,
    );

  const emt = own(e, "x-kubernetes-map-type") ?? "granular";
  const nmt = own(n, "x-kubernetes-map-type") ?? "granular";
  const mtp = child(path, "x-kubernetes-map-type");
  if (emt !== "granular" && emt !== "atomic") notSupported(ctx, mtp, `map type ${show(emt)}`);
  else if (nmt !== "granular" && nmt !== "atomic") notSupported(ctx, mtp, `map type ${show(nmt)}`);
  else if (emt !== nmt) {
    // Only server-side apply reads it; L follows N so both merge the same way.
    if (!ctx.narrow)
      invalid(
        ctx,
        mtp,
        `x-kubernetes-map-type value has been changed in an incompatible way (was ${show(emt)}, now ${show(nmt)})`,
      );
    else {
      if (own(n, "x-kubernetes-map-type") === undefined) delete l["x-kubernetes-map-type"];
      else setOwn(l, "x-kubernetes-map-type", nmt);
      ctx.narrowings++;
    }
  }

  const eProps = own(e, "properties") as Schema | undefined;
  const nProps = own(n, "properties") as Schema | undefined;
  const nOthers = othersOf(n);
  const eReq = new Set(reqList(ctx, path, e));
  const nReq = reqList(ctx, path, n);

  // E's properties: each must be accepted by N's property, N's additionalProperties, or N keeping anything.
  if (eProps) {
    const lProps: Schema = {};
    const removed: string[] = [];
    for (const k of Object.keys(eProps)) {
      const ek = eProps[k];
      const kp = key(child(path, "properties"), k);
      if (!isObject(ek)) {
        notSupported(ctx, kp, "non-object property schema");
        continue;
      }
      const nk = own(nProps, k);
      if (isObject(nk)) setOwn(lProps, k, compareNode(ctx, kp, ek, nk, depth + 1));
      else if (nk !== undefined) notSupported(ctx, kp, "non-object property schema");
      else if (nOthers.kind === "schema") setOwn(lProps, k, compareNode(ctx, kp, ek, nOthers.schema, depth + 1));
      else if (nOthers.kind === "any") setOwn(lProps, k, copy(ctx, ek, depth));
      else removed.push(k);
    }
    removed.sort();
    if (removed.length > 0) {
      const requiredRemoved = removed.filter((k) => eReq.has(k));
      if (!ctx.narrow)
        invalid(
          ctx,
          child(path, "properties"),
          `properties have been removed in an incompatible way: ${list(removed)}`,
        );
      else if (requiredRemoved.length > 0)
        invalid(
          ctx,
          child(path, "required"),
          `required properties have been removed in an incompatible way: ${list(requiredRemoved)}`,
        );
      else {
        const named = removed.filter((k) => rulesName(e, k));
        if (named.length > 0)
          invalid(
            ctx,
            child(path, "x-kubernetes-validations"),
            `validation rules refer to properties the new schema does not have: ${list(named)}`,
          );
        else ctx.narrowings++;
      }
    }
    setOwn(l, "properties", lProps);
  }

  // Keys that are not properties: what L does with them must be something N accepts too.
  // (L's preserve-unknown-fields is already narrowed; its additionalProperties schema is E's.)
  const eapSchema = own(e, "additionalProperties");
  const lOthers = othersOf(isObject(eapSchema) ? { ...l, additionalProperties: eapSchema } : l);
  const ap = child(path, "additionalProperties");
  if (lOthers.kind === "schema") {
    const eap = own(e, "additionalProperties");
    const es = isObject(eap) ? eap : lOthers.schema;
    if (nOthers.kind === "schema") {
      const lap = compareNode(ctx, ap, es, nOthers.schema, depth + 1);
      // `true` stays `true` unless narrowing gave it a schema.
      setOwn(l, "additionalProperties", eap === true && Object.keys(lap).length === 0 ? true : lap);
    } else if (nOthers.kind === "any") setOwn(l, "additionalProperties", copy(ctx, eap, depth));
    else if (ctx.narrow && eap === true) {
      delete l.additionalProperties;
      ctx.narrowings++;
    } else invalid(ctx, ap, "additionalProperties value has been changed in an incompatible way");
  }
  // (L keeping unknown fields that N does not keep was reported or narrowed by the preserve rule.)
  if (lOthers.kind === "any" && nOthers.kind === "schema") {
    if (!ctx.narrow) invalid(ctx, ap, "additionalProperties value has been changed in an incompatible way");
    else {
      setOwn(l, "additionalProperties", copy(ctx, nOthers.schema, depth));
      ctx.narrowings++;
    }
  }

  // N's own properties that E does not name: if L keeps such keys, N's schema for them must accept
  // whatever L accepts there (checked, never narrowed: L gains no property of N's).
  let finalOthers = othersOf(l);
  if (nProps && finalOthers.kind !== "pruned") {
    const restricted: string[] = [];
    const detailed: SchemaIncompatibility[] = [];
    for (const k of Object.keys(nProps).sort()) {
      if (eProps && Object.hasOwn(eProps, k)) continue;
      const nk = nProps[k];
      if (!isObject(nk)) continue;
      const base: Schema =
        finalOthers.kind === "schema" ? finalOthers.schema : { "x-kubernetes-preserve-unknown-fields": true };
      const sub: Ctx = { narrow: false, errors: [], nodes: ctx.nodes, narrowings: 0, tooBig: false };
      compareNode(sub, key(child(path, "properties"), k), base, nk, depth + 1);
      ctx.nodes = sub.nodes;
      if (sub.errors.length > 0) {
        restricted.push(k);
        detailed.push(...sub.errors);
        if (sub.tooBig) ctx.tooBig = true;
      }
    }
    const preserving =
      finalOthers.kind === "any" && own(l, "additionalProperties") === undefined && own(l, "type") === "object";
    if (restricted.length > 0 && ctx.narrow && preserving && !ctx.tooBig) {
      // L stops keeping unknown fields: it prunes them, as N prunes the fields it does not know.
      delete l["x-kubernetes-preserve-unknown-fields"];
      ctx.narrowings++;
      finalOthers = othersOf(l);
    } else if (restricted.length > 0 && finalOthers.kind === "any" && !ctx.tooBig)
      invalid(
        ctx,
        child(path, "properties"),
        `properties are restricted by the new schema where the existing schema allows any value: ${list(restricted)}`,
      );
    else ctx.errors.push(...detailed);
  }

  // required: N may not require what L does not; narrowing adds the requirement where L knows the key.
  const added = [...new Set(nReq)].filter((k) => !eReq.has(k)).sort();
  if (added.length > 0) {
    const lProps = own(l, "properties") as Schema | undefined;
    const allowed = (k: string) => (lProps !== undefined && Object.hasOwn(lProps, k)) || finalOthers.kind !== "pruned";
    const impossible = added.filter((k) => !allowed(k));
    if (!ctx.narrow)
      invalid(
        ctx,
        child(path, "required"),
        `required properties have been added in an incompatible way: ${list(added)}`,
      );
    else if (impossible.length > 0)
      invalid(
        ctx,
        child(path, "required"),
        `required properties have been added in an incompatible way (not properties of the existing schema): ${list(impossible)}`,
      );
    else {
      setOwn(l, "required", [...((own(l, "required") as string[] | undefined) ?? []), ...added]);
      ctx.narrowings++;
    }
  }
}

/**
 * Whether a CEL rule of this node names property `k` (`self.k`, `has(self.k)`, a fieldPath `.k`):
 * such a rule would not compile once L drops the property. Rules above this node that reach down
 * to it are not seen (CEL is not parsed here).
 */
function rulesName(s: Schema, k: string): boolean {
  const rules = own(s, "x-kubernetes-validations");
  if (!Array.isArray(rules)) return false;
  const esc = k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const inRule = new RegExp(`\\bself\\s*\\.\\s*${esc}(?!\\w)|\\bself\\s*\\[\\s*['"]${esc}['"]`);
  const inPath = new RegExp(`^(\\.${esc}(?!\\w)|\\[\\s*'${esc}'\\s*\\])`);
  return rules.some(
    (r) =>
      isObject(r) &&
      ((typeof r.rule === "string" && inRule.test(r.rule)) ||
        (typeof r.messageExpression === "string" && inRule.test(r.messageExpression)) ||
        (typeof r.fieldPath === "string" && inPath.test(r.fieldPath))),
  );
}

function reqList(ctx: Ctx, path: string, s: Schema): string[] {
  const r = own(s, "required");
  if (r === undefined) return [];
  if (Array.isArray(r) && r.every((x) => typeof x === "string")) return r as string[];
  notSupported(ctx, child(path, "required"), "non-string required entry");
  return [];
}

/** CEL rules: N's rules that E lacks restrict N; narrowing adds them to L. */
function compareValidations(ctx: Ctx, path: string, l: Schema, e: Schema, n: Schema): undefined {
  const p = child(path, "x-kubernetes-validations");
  const rulesOf = (s: Schema): Schema[] | undefined => {
    const v = own(s, "x-kubernetes-validations") as unknown[] | undefined;
    if (v === undefined) return [];
    if (!v.every((r) => isObject(r) && typeof r.rule === "string")) return undefined;
    return v as Schema[];
  };
  const er = rulesOf(e);
  const nr = rulesOf(n);
  if (!er || !nr) return notSupported(ctx, p, "validation rule without a rule");
  // The rule text and whether it runs on create too decide what is accepted; messages do not.
  const id = (r: Schema) => JSON.stringify([r.rule, r.optionalOldSelf === true]);
  const have = new Set(er.map(id));
  const added = nr.filter((r) => !have.has(id(r)));
  if (added.length === 0) return;
  if (!ctx.narrow)
    return invalid(
      ctx,
      p,
      `validation rules have been added in an incompatible way: ${list(added.map((r) => r.rule))}`,
    );
  setOwn(l, "x-kubernetes-validations", copy(ctx, [...er, ...added], 0));
  ctx.narrowings++;
}

// ---- defaults ----

/**
 * Whether L still accepts its default after narrowing. Conservative: anything not checked here
 * (junctors, CEL rules, embedded resources) counts as not accepted, and the default is dropped —
 * documents then reach each cluster without the field and get that cluster's own default.
 */
function defaultAccepted(s: Schema, v: unknown, depth: number): boolean {
  if (depth > MAX_SCHEMA_DEPTH) return false;
  for (const k of [...JUNCTORS, "x-kubernetes-validations", "x-kubernetes-embedded-resource"])
    if (own(s, k) !== undefined) return false;
  if (v === null) return own(s, "nullable") === true;
  const types = typesOf(s);
  const t: JsonType =
    typeof v === "string"
      ? "string"
      : typeof v === "boolean"
        ? "boolean"
        : typeof v === "number"
          ? Number.isInteger(v)
            ? "integer"
            : "number"
          : Array.isArray(v)
            ? "array"
            : "object";
  if (!typeAccepts(types, t)) return false;
  const en = own(s, "enum");
  if (Array.isArray(en) && !en.some((x) => deepEqual(x, v))) return false;
  const num = (k: string) => own(s, k) as number | undefined;
  if (typeof v === "string") {
    const len = [...v].length;
    if (len > (num("maxLength") ?? Number.POSITIVE_INFINITY) || len < (num("minLength") ?? 0)) return false;
    const pattern = own(s, "pattern");
    if (typeof pattern === "string") {
      // A hostile pattern can backtrack for ages: long defaults are not tried, just dropped.
      if (v.length > 256) return false;
      try {
        if (!new RegExp(pattern, "u").test(v)) return false;
      } catch {
        return false;
      }
    }
    const format = own(s, "format");
    const check = typeof format === "string" ? stringFormat(format) : undefined;
    if (check && !check(v)) return false;
  } else if (typeof v === "number") {
    const max = num("maximum");
    const min = num("minimum");
    if (max !== undefined && (own(s, "exclusiveMaximum") === true ? v >= max : v > max)) return false;
    if (min !== undefined && (own(s, "exclusiveMinimum") === true ? v <= min : v < min)) return false;
    const m = num("multipleOf");
    if (m !== undefined && !Number.isInteger(v / m)) return false;
  } else if (Array.isArray(v)) {
    if (v.length > (num("maxItems") ?? Number.POSITIVE_INFINITY) || v.length < (num("minItems") ?? 0)) return false;
    if (own(s, "uniqueItems") === true || own(s, "x-kubernetes-list-type") !== undefined) return false;
    const items = own(s, "items");
    if (!isObject(items) || !v.every((x) => defaultAccepted(items, x, depth + 1))) return false;
  } else if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length > (num("maxProperties") ?? Number.POSITIVE_INFINITY) || keys.length < (num("minProperties") ?? 0))
      return false;
    const req = own(s, "required");
    if (Array.isArray(req) && !req.every((k) => typeof k === "string" && Object.hasOwn(v, k))) return false;
    const props = own(s, "properties");
    const ap = own(s, "additionalProperties");
    for (const k of keys) {
      const ps = own(props, k);
      if (isObject(ps)) {
        if (!defaultAccepted(ps, v[k], depth + 1)) return false;
      } else if (isObject(ap) || ap === true) {
        if (!defaultAccepted(isObject(ap) ? ap : {}, v[k], depth + 1)) return false;
      } else if (own(s, "x-kubernetes-preserve-unknown-fields") !== true) return false; // it would be pruned
    }
  }
  return true;
}
