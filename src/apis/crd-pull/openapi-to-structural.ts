// A kind's OpenAPI model (v2 or v3, see openapi-models.ts) as the structural schema of a CRD, so
// that kcp can serve a cluster's built-in kinds (deployments, pods) as CRDs. The rules are the kcp
// prototype's (docs/multi-cluster.md, "Pulling CRDs"), with its defects fixed:
//
// - references are inlined; a reference back into the path being converted (JSONSchemaProps holds
//   JSONSchemaProps) becomes an object that preserves unknown fields, instead of failing the kind;
//   the work is bounded (MAX_SCHEMA_NODES nodes, MAX_DEPTH levels) whatever the document holds;
// - `format: int-or-string` and IntOrString become kube's `x-kubernetes-int-or-string` with
//   anyOf [integer, string]; Quantity the same with its pattern (well-known-types.ts);
// - list and map types (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`) are kept; older
//   documents without them get them from the strategic-merge tags, as the prototype did, and a
//   list-map key that is neither required nor defaulted gets kube's default or becomes required;
// - extensions a CRD schema may not carry (x-kubernetes-patch-*, -group-version-kind, -unions, …)
//   and keywords it may not (uniqueItems, $ref, allOf wrappers, readOnly, …) are dropped; so are the
//   Go zero-value defaults of v3 documents, which would fill every omitted field with "" and 0;
// - an object model without properties (RawExtension, FieldsV1) preserves its fields, an untyped one
//   (apiextensions' JSON) accepts any value, and `x-kubernetes-embedded-resource` is kept where kube
//   marks one;
// - descriptions: the referencing field's, else the referenced model's, else the node's own.
//
// The output is deterministic: properties sorted, keys in one order, whatever order the server
// wrote its document in.

import { isObject } from "../../machinery/object.ts";
import type { JSONSchemaProps } from "../crd/schema-types.ts";
import { type OpenAPIModels, refName } from "./openapi-models.ts";
import { intOrStringSchema, knownListMapKeys, listMapKeyDefault, wellKnownSchema } from "./well-known-types.ts";

type Json = Record<string, unknown>;

/** A pod's schema is about 4,000 nodes once inlined; anything past this is not a kind but a trap. */
export const MAX_SCHEMA_NODES = 100_000;
/** Nesting deeper than this is refused (a pod's deepest field is about 20 levels down). */
export const MAX_DEPTH = 100;

export class SchemaConversionError extends Error {
  override name = "SchemaConversionError";
}

interface Context {
  models: OpenAPIModels;
  /** Definitions being converted on the current path (a reference to one of them is a cycle). */
  onPath: Set<string>;
  nodes: number;
  maxNodes: number;
}

export interface ConvertOptions {
  /** Refuse a schema of more nodes than this (default MAX_SCHEMA_NODES). */
  maxNodes?: number;
}

/**
 * The openAPIV3Schema of a CRD for definition `name` of `models`. Throws a SchemaConversionError
 * when the model is missing, refers to a missing model, or is too large or too deep.
 */
export function convertModel(models: OpenAPIModels, name: string, opts: ConvertOptions = {}): JSONSchemaProps {
  const model = models.schemas.get(name);
  if (!model) throw new SchemaConversionError(`the OpenAPI document has no model ${name}`);
  const ctx: Context = {
    models,
    onPath: new Set([name]),
    nodes: 0,
    maxNodes: opts.maxNodes ?? MAX_SCHEMA_NODES,
  };
  const root = convertNode(model, ctx, undefined, 0);
  root.type = "object";
  delete root.nullable;
  delete root["x-kubernetes-embedded-resource"];
  const props = isObject(root.properties) ? root.properties : undefined;
  // The API server owns the root metadata (kube forbids anything but name/generateName rules there).
  if (props && Object.hasOwn(props, "metadata")) props.metadata = { type: "object" };
  return finish(root) as JSONSchemaProps;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The definition a node stands for: `$ref`, or v3's `allOf: [{$ref}]` wrapper (siblings carry description). */
function refOf(node: Json): string | undefined {
  const direct = refName(node.$ref);
  if (direct) return direct;
  if (Array.isArray(node.allOf) && node.allOf.length === 1 && isObject(node.allOf[0])) {
    return refName(node.allOf[0].$ref);
  }
  return undefined;
}

function withDescription(s: Json, description: string | undefined): Json {
  if (description) s.description = description;
  return s;
}

function setOwn(o: Json, k: string, v: unknown): void {
  // Property names come from the document: "__proto__" must stay a name, not a prototype.
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function convertNode(node: Json, ctx: Context, description: string | undefined, depth: number): Json {
  if (++ctx.nodes > ctx.maxNodes) {
    throw new SchemaConversionError(`the schema has more than ${ctx.maxNodes} nodes once references are inlined`);
  }
  if (depth > MAX_DEPTH) throw new SchemaConversionError(`the schema nests deeper than ${MAX_DEPTH} levels`);
  const ref = refOf(node);
  if (ref !== undefined) return convertRef(ref, node, ctx, nonEmpty(node.description) ?? description, depth);
  const desc = description ?? nonEmpty(node.description);

  if (node.format === "int-or-string" || node["x-kubernetes-int-or-string"] === true) {
    return withDescription(intOrStringSchema(), desc);
  }
  const type = typeof node.type === "string" ? node.type : undefined;
  if (type === "array" || (type === undefined && node.items !== undefined)) return convertArray(node, ctx, desc, depth);
  if (
    type === "object" ||
    (type === undefined && (isObject(node.properties) || node.additionalProperties !== undefined))
  ) {
    return convertObject(node, ctx, desc, depth);
  }
  if (type === "string" || type === "integer" || type === "number" || type === "boolean") {
    return convertScalar(node, type, desc);
  }
  // No type: any JSON value (apiextensions' JSON); an embedded resource is an object.
  if (node["x-kubernetes-embedded-resource"] === true) {
    return withDescription(
      { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
      desc,
    );
  }
  return withDescription({ "x-kubernetes-preserve-unknown-fields": true }, desc);
}

function convertRef(name: string, siblings: Json, ctx: Context, description: string | undefined, depth: number): Json {
  const target = ctx.models.schemas.get(name);
  const desc = description ?? nonEmpty(target?.description);
  const known = wellKnownSchema(name);
  if (known) return withDescription(known, desc);
  if (!target) throw new SchemaConversionError(`the OpenAPI document has no model ${name}`);
  if (ctx.onPath.has(name)) {
    // A recursive type: below this point, whatever the client sends is kept as it is.
    const objectish = target.type === "object" || isObject(target.properties);
    return withDescription(
      objectish
        ? { type: "object", "x-kubernetes-preserve-unknown-fields": true }
        : { "x-kubernetes-preserve-unknown-fields": true },
      desc,
    );
  }
  ctx.onPath.add(name);
  try {
    const out = convertNode(target, ctx, desc, depth + 1);
    if (siblings.nullable === true && out["x-kubernetes-int-or-string"] !== true) out.nullable = true;
    return out;
  } finally {
    ctx.onPath.delete(name);
  }
}

const SCALAR_KEYWORDS = [
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
] as const;

function scalarFits(v: unknown, type: string): boolean {
  if (type === "string") return typeof v === "string";
  if (type === "integer") return typeof v === "number" && Number.isInteger(v);
  if (type === "number") return typeof v === "number";
  return typeof v === "boolean";
}

function convertScalar(node: Json, type: string, desc: string | undefined): Json {
  const out: Json = { type };
  if (typeof node.format === "string" && node.format !== "") out.format = node.format;
  if (Array.isArray(node.enum)) {
    const values = node.enum.filter((v) => scalarFits(v, type));
    if (values.length > 0 && values.length === node.enum.length) out.enum = values;
  }
  for (const k of SCALAR_KEYWORDS) {
    const v = node[k];
    if (
      k === "pattern"
        ? typeof v === "string"
        : k.startsWith("exclusive")
          ? typeof v === "boolean"
          : typeof v === "number"
    )
      out[k] = v;
  }
  if (node.nullable === true) out.nullable = true;
  // Kept for now: a list-map key may need it (see applyListType); dropped everywhere else in finish().
  if (node.default !== undefined && scalarFits(node.default, type)) out.default = node.default;
  return withDescription(out, desc);
}

function convertObject(node: Json, ctx: Context, desc: string | undefined, depth: number): Json {
  const out: Json = { type: "object" };
  const props = isObject(node.properties) && Object.keys(node.properties).length > 0 ? node.properties : undefined;
  if (props) {
    const converted: Json = {};
    for (const name of Object.keys(props).sort()) {
      const p = props[name];
      setOwn(
        converted,
        name,
        isObject(p) ? convertNode(p, ctx, undefined, depth + 1) : { "x-kubernetes-preserve-unknown-fields": true },
      );
    }
    out.properties = converted;
    const required = Array.isArray(node.required)
      ? [...new Set(node.required.filter((r): r is string => typeof r === "string" && Object.hasOwn(converted, r)))]
      : [];
    if (required.length > 0) out.required = required;
  } else if (isObject(node.additionalProperties)) {
    // A map: `properties` and `additionalProperties` may not both be set in a structural schema.
    out.additionalProperties = convertNode(node.additionalProperties, ctx, undefined, depth + 1);
  } else {
    // An object the model does not describe (RawExtension, FieldsV1, additionalProperties: true).
    out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (node["x-kubernetes-preserve-unknown-fields"] === true) out["x-kubernetes-preserve-unknown-fields"] = true;
  if (node["x-kubernetes-embedded-resource"] === true) {
    out["x-kubernetes-embedded-resource"] = true;
    delete out.additionalProperties;
    if (!props) out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  const mapType = node["x-kubernetes-map-type"];
  if (mapType === "atomic" || mapType === "granular") out["x-kubernetes-map-type"] = mapType;
  for (const k of ["minProperties", "maxProperties"] as const) if (typeof node[k] === "number") out[k] = node[k];
  if (node.nullable === true) out.nullable = true;
  return withDescription(out, desc);
}

function convertArray(node: Json, ctx: Context, desc: string | undefined, depth: number): Json {
  const out: Json = { type: "array" };
  const itemsNode = isObject(node.items) ? node.items : undefined;
  out.items = itemsNode
    ? convertNode(itemsNode, ctx, undefined, depth + 1)
    : { "x-kubernetes-preserve-unknown-fields": true };
  for (const k of ["minItems", "maxItems"] as const) if (typeof node[k] === "number") out[k] = node[k];
  if (node.nullable === true) out.nullable = true;
  applyListType(out, node, itemsNode ? refOf(itemsNode) : undefined);
  return withDescription(out, desc);
}

const isScalarSchema = (s: Json) =>
  s.type === "string" ||
  s.type === "integer" ||
  s.type === "number" ||
  s.type === "boolean" ||
  s["x-kubernetes-int-or-string"] === true;

/**
 * x-kubernetes-list-type and -list-map-keys on a converted array: the document's own, else derived
 * from its strategic-merge tags (merge by a key: a map; merge of scalars: a set); dropped (atomic)
 * when the items cannot carry them, so that the CRD stays valid.
 */
function applyListType(out: Json, node: Json, itemModel: string | undefined): void {
  const items = out.items as Json;
  let listType = typeof node["x-kubernetes-list-type"] === "string" ? node["x-kubernetes-list-type"] : undefined;
  let keys = Array.isArray(node["x-kubernetes-list-map-keys"])
    ? node["x-kubernetes-list-map-keys"].filter((k): k is string => typeof k === "string")
    : [];
  const strategy = typeof node["x-kubernetes-patch-strategy"] === "string" ? node["x-kubernetes-patch-strategy"] : "";
  const mergeKey = typeof node["x-kubernetes-patch-merge-key"] === "string" ? node["x-kubernetes-patch-merge-key"] : "";
  if (listType === undefined) {
    const merges = strategy.split(",").some((s) => s.trim() === "merge");
    if (merges || (strategy === "" && mergeKey !== "")) {
      if (mergeKey !== "" && items.type === "object") listType = "map";
      else if (mergeKey === "" && isScalarSchema(items)) listType = "set";
    }
  }
  if (listType === "map" && keys.length === 0 && mergeKey !== "")
    keys = knownListMapKeys(itemModel, mergeKey) ?? [mergeKey];

  if (listType === "map") {
    const props = isObject(items.properties) ? items.properties : undefined;
    const usable =
      items.type === "object" &&
      props !== undefined &&
      keys.length > 0 &&
      new Set(keys).size === keys.length &&
      keys.every((k) => Object.hasOwn(props, k) && isObject(props[k]) && isScalarSchema(props[k] as Json));
    if (!usable) return;
    const required = Array.isArray(items.required) ? [...(items.required as string[])] : [];
    for (const k of keys) {
      const p = (props as Json)[k] as Json;
      delete p.nullable;
      if (required.includes(k)) continue;
      const known = p.default ?? listMapKeyDefault(itemModel, k);
      if (known !== undefined) {
        p.default = known;
        keepDefaultOf(p);
      } else required.push(k);
    }
    if (required.length > 0) items.required = required;
    delete items.nullable;
    out["x-kubernetes-list-type"] = "map";
    out["x-kubernetes-list-map-keys"] = keys;
  } else if (listType === "set") {
    if (!isScalarSchema(items) && items["x-kubernetes-map-type"] !== "atomic") return;
    delete items.nullable;
    out["x-kubernetes-list-type"] = "set";
  } else if (listType === "atomic") out["x-kubernetes-list-type"] = "atomic";
}

// The nodes that keep their default are marked with a symbol while converting (finish() reads it).
const KEEP_DEFAULT = Symbol("keepDefault");
function keepDefaultOf(s: Json): void {
  (s as Record<symbol, boolean>)[KEEP_DEFAULT] = true;
}

const KEY_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "pattern",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "nullable",
  "default",
  "anyOf",
  "items",
  "properties",
  "additionalProperties",
  "required",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
] as const;

/** The final tree: keys in one order, defaults only on list-map keys. */
function finish(s: Json): Json {
  const out: Json = {};
  for (const k of KEY_ORDER) {
    const v = s[k];
    if (v === undefined) continue;
    if (k === "default" && !(s as Record<symbol, boolean>)[KEEP_DEFAULT]) continue;
    if (k === "items" || k === "additionalProperties") out[k] = isObject(v) ? finish(v) : v;
    else if (k === "properties" && isObject(v)) {
      const props: Json = {};
      for (const [name, p] of Object.entries(v)) setOwn(props, name, isObject(p) ? finish(p) : p);
      out[k] = props;
    } else out[k] = v;
  }
  return out;
}
