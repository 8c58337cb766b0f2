// Small constructors for OpenAPI v3 schemas written the way kube-openapi emits them: struct
// references wrapped in `allOf` (a v3.0 `$ref` may carry no siblings), `default` on embedded
// structs and map values, and the list/map/patch extensions kubectl's patch logic reads.

export type Schema = Record<string, unknown>;

export const SCHEMA_REF_PREFIX = "#/components/schemas/";

/** The OpenAPI name prefix of meta/v1 types. */
export const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
export const TIME = `${META}Time`;
export const MICRO_TIME = `${META}MicroTime`;
export const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/** `{description}`, or nothing for an undocumented field (kube omits empty descriptions). */
function described(description: string): Schema {
  return description ? { description } : {};
}

export function schemaRef(name: string): Schema {
  return { $ref: `${SCHEMA_REF_PREFIX}${name}` };
}

export function str(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "string", default: "", ...extra };
}

/** A string without the zero-value default (pointer fields in Go). */
export function optStr(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "string", ...extra };
}

export function bytes(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "string", format: "byte", ...extra };
}

export function int32(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "integer", format: "int32", ...extra };
}

export function int64(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "integer", format: "int64", ...extra };
}

export function double(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "number", format: "double", ...extra };
}

export function bool(description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "boolean", ...extra };
}

/** An embedded struct: `allOf` around the reference so the description can sit beside it. */
export function struct(name: string, description: string, extra: Schema = {}): Schema {
  return { ...described(description), default: {}, allOf: [schemaRef(name)], ...extra };
}

/** A pointer to a struct: no default. */
export function optStruct(name: string, description: string, extra: Schema = {}): Schema {
  return { ...described(description), allOf: [schemaRef(name)], ...extra };
}

export function time(description: string): Schema {
  return optStruct(TIME, description);
}

export function microTime(description: string): Schema {
  return optStruct(MICRO_TIME, description);
}

export function arrayOf(items: Schema, description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "array", items, ...extra };
}

/** `[]string`, atomic unless said otherwise. */
export function strings(description: string, extra: Schema = {}): Schema {
  return arrayOf({ type: "string", default: "" }, description, { "x-kubernetes-list-type": "atomic", ...extra });
}

/** `[]Struct` items as kube writes them. */
export function structItems(name: string): Schema {
  return { default: {}, allOf: [schemaRef(name)] };
}

export function mapOf(values: Schema, description: string, extra: Schema = {}): Schema {
  return { ...described(description), type: "object", additionalProperties: values, ...extra };
}

export function stringMap(description: string): Schema {
  return mapOf({ type: "string", default: "" }, description);
}

export function quantityMap(description: string): Schema {
  return mapOf(schemaRef(QUANTITY), description);
}

/** Extensions of a list merged by key (strategic merge patch and server-side apply). */
export function mapList(keys: string[], patchKey?: string): Schema {
  const ext: Schema = { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": keys };
  if (patchKey) {
    ext["x-kubernetes-patch-merge-key"] = patchKey;
    ext["x-kubernetes-patch-strategy"] = "merge";
  }
  return ext;
}

export const ATOMIC_MAP: Schema = { "x-kubernetes-map-type": "atomic" };

/** A plain object type: description, properties, and optional required list / extensions. */
export function objectType(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { ...described(description), type: "object", properties, ...extra };
}

const API_VERSION_DESCRIPTION =
  "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION =
  "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
export const OBJECT_METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA_DESCRIPTION =
  "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

export function apiVersionProperty(): Schema {
  return optStr(API_VERSION_DESCRIPTION);
}

export function kindProperty(): Schema {
  return optStr(KIND_DESCRIPTION);
}

/** A top-level kind: apiVersion, kind and metadata come first, as in kube's documents. */
export function kindType(
  description: string,
  properties: Record<string, Schema>,
  extra: Schema = {},
  metadataDescription = OBJECT_METADATA_DESCRIPTION,
): Schema {
  return objectType(
    description,
    {
      apiVersion: apiVersionProperty(),
      kind: kindProperty(),
      metadata: struct(`${META}ObjectMeta`, metadataDescription),
      ...properties,
    },
    extra,
  );
}

/** The `<Kind>List` type of a kind. */
export function listType(description: string, itemName: string, itemsDescription: string): Schema {
  return objectType(
    description,
    {
      apiVersion: apiVersionProperty(),
      items: arrayOf(structItems(itemName), itemsDescription),
      kind: kindProperty(),
      metadata: struct(`${META}ListMeta`, LIST_METADATA_DESCRIPTION),
    },
    { required: ["items"] },
  );
}
