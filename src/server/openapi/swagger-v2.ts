// The OpenAPI v2 (Swagger 2.0) document of a logical cluster, merged from its per-group-version
// v3 documents: kubectl ≤ 1.28 validates, explains and computes patches from it. v2 cannot say
// what v3 can (oneOf, nullable, a `$ref` beside siblings), so schemas are narrowed the way
// kube-apiserver narrows them, into what kube-openapi's v2 parser accepts.

import { KUBE_GIT_VERSION } from "../../version.ts";
import type { OpenAPIV3Document } from "./group-version-document.ts";
import { SCHEMA_REF_PREFIX, type Schema } from "../../apis/schema-builders.ts";
import { isObject } from "../../machinery/object.ts";

export interface SwaggerDocument {
  swagger: "2.0";
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, Schema>;
  securityDefinitions: Record<string, unknown>;
  security: Record<string, string[]>[];
}

const V2_REF_PREFIX = "#/definitions/";
/** JSON-schema keywords v2 has no place for. */
const DROPPED = new Set(["nullable", "allOf", "oneOf", "anyOf", "not"]);

function ref(r: string): string {
  return r.startsWith(SCHEMA_REF_PREFIX) ? V2_REF_PREFIX + r.slice(SCHEMA_REF_PREFIX.length) : r;
}

/** A v3 schema in v2 form. */
export function toV2Schema(s: Schema): Schema {
  // `allOf: [$ref]` exists in v3 only to carry a description next to a reference.
  const allOf = s.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) && typeof allOf[0].$ref === "string") {
    const out: Schema = { $ref: ref(allOf[0].$ref) };
    if (typeof s.description === "string" && s.description) out.description = s.description;
    return out;
  }
  if (typeof s.$ref === "string") return { $ref: ref(s.$ref) };
  // As kube's ToStructuralOpenAPIV2: a nullable value becomes untyped, and neither it nor a value
  // preserving unknown fields keeps properties or items (kubectl rejects unknown fields otherwise).
  const nullable = s.nullable === true;
  const preserving = s["x-kubernetes-preserve-unknown-fields"] === true;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (DROPPED.has(k)) continue;
    if ((nullable || preserving) && (k === "properties" || k === "items")) continue;
    if (k === "properties" && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, toV2Schema(p as Schema)]));
    } else if (k === "items" && isObject(v)) {
      out.items = toV2Schema(v);
    } else if (k === "additionalProperties" && isObject(v)) {
      out.additionalProperties = toV2Schema(v);
    } else {
      out[k] = v;
    }
  }
  if (nullable || (preserving && out.type === "object")) delete out.type;
  // Nullable fields cannot be required in v2.
  if (Array.isArray(out.required)) {
    const props = isObject(s.properties) ? s.properties : {};
    const ap = s.additionalProperties;
    const required =
      isObject(ap) && ap.nullable === true
        ? []
        : (out.required as string[]).filter((n) => !(isObject(props[n]) && props[n].nullable === true));
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  // An array without items, or an object whose value schema is just `true`, is an arbitrary value
  // to the v2 parser (which rejects the typed forms).
  const hasValueSchema = isObject(out.additionalProperties);
  if (out.type === "object" && out.additionalProperties !== undefined && !hasValueSchema) delete out.type;
  if (out.type === "array" && !isObject(out.items)) delete out.type;
  if (out.additionalProperties !== undefined && !hasValueSchema) delete out.additionalProperties;
  return out;
}

/**
 * A top-level definition in v2 form. A custom resource whose schema preserves unknown fields at
 * its root is published as a bare object, as kube does: kubectl would reject every field but
 * the listed ones otherwise.
 */
function toV2Definition(s: Schema): Schema {
  const gvk = s["x-kubernetes-group-version-kind"];
  if (s["x-kubernetes-preserve-unknown-fields"] === true && Array.isArray(gvk))
    return { type: "object", "x-kubernetes-group-version-kind": gvk };
  return toV2Schema(s);
}

interface V3Parameter {
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  schema?: { type?: string; uniqueItems?: boolean };
}

function toV2Parameter(p: V3Parameter): Record<string, unknown> {
  const out: Record<string, unknown> = {
    uniqueItems: true,
    type: p.schema?.type ?? "string",
    description: p.description,
    name: p.name,
    in: p.in,
  };
  if (p.required) out.required = true;
  return out;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];

function toV2Operation(op: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const body = op.requestBody as { content?: Record<string, { schema: Schema }>; required?: boolean } | undefined;
  const responses = (op.responses ?? {}) as Record<
    string,
    { description: string; content?: Record<string, { schema: Schema }> }
  >;
  const produces = new Set<string>();
  for (const r of Object.values(responses)) for (const t of Object.keys(r.content ?? {})) produces.add(t);
  if (typeof op.description === "string") out.description = op.description;
  if (body?.content) out.consumes = Object.keys(body.content);
  if (produces.size > 0) out.produces = [...produces];
  out.schemes = ["https"];
  if (Array.isArray(op.tags)) out.tags = op.tags;
  out.operationId = op.operationId;
  const params = ((op.parameters ?? []) as V3Parameter[]).map(toV2Parameter);
  if (body?.content) {
    const first = Object.values(body.content)[0];
    const bodyParam: Record<string, unknown> = { name: "body", in: "body", schema: toV2Schema(first.schema) };
    if (body.required) bodyParam.required = true;
    params.unshift(bodyParam);
  }
  if (params.length > 0) out.parameters = params;
  const v2Responses: Record<string, unknown> = {};
  for (const [code, r] of Object.entries(responses)) {
    const first = Object.values(r.content ?? {})[0];
    v2Responses[code] = first
      ? { description: r.description, schema: toV2Schema(first.schema) }
      : { description: r.description };
  }
  out.responses = v2Responses;
  for (const [k, v] of Object.entries(op)) if (k.startsWith("x-")) out[k] = v;
  return out;
}

function mergeGVKs(a: Schema, b: Schema): Schema {
  const key = "x-kubernetes-group-version-kind";
  const left = Array.isArray(a[key]) ? (a[key] as unknown[]) : [];
  const right = Array.isArray(b[key]) ? (b[key] as unknown[]) : [];
  if (right.length === 0) return a;
  const seen = new Set(left.map((g) => JSON.stringify(g)));
  const merged = [...left];
  for (const g of right) if (!seen.has(JSON.stringify(g))) merged.push(g);
  return { ...a, [key]: merged };
}

/** Merge the group-version documents of a cluster into one Swagger 2.0 document. */
export function buildSwaggerDocument(documents: readonly OpenAPIV3Document[]): SwaggerDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const definitions: Record<string, Schema> = {};
  for (const doc of documents) {
    for (const [path, item] of Object.entries(doc.paths)) {
      const out: Record<string, unknown> = {};
      for (const m of METHODS) if (item[m]) out[m] = toV2Operation(item[m] as Record<string, unknown>);
      if (Array.isArray(item.parameters)) out.parameters = (item.parameters as V3Parameter[]).map(toV2Parameter);
      paths[path] = out;
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const v2 = toV2Definition(schema);
      definitions[name] = definitions[name] ? mergeGVKs(definitions[name], v2) : v2;
    }
  }
  const sortedPaths: Record<string, Record<string, unknown>> = {};
  for (const p of Object.keys(paths).sort()) sortedPaths[p] = paths[p];
  const sortedDefinitions: Record<string, Schema> = {};
  for (const d of Object.keys(definitions).sort()) sortedDefinitions[d] = definitions[d];
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: KUBE_GIT_VERSION },
    paths: sortedPaths,
    definitions: sortedDefinitions,
    securityDefinitions: {
      BearerToken: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" },
    },
    security: [{ BearerToken: [] }],
  };
}
