// apiextensions.k8s.io/v1 CustomResourceDefinition, as a stored resource: defaulting, generation,
// storedVersions, validation (src/apis/crd/crd-validation.ts) and the cleanup finalizer on delete.
// Serving the custom resources it defines (names, conditions, discovery) is the CRD controller's job.

import { setCondition } from "../crd/crd-conditions.ts";
import { CLEANUP_FINALIZER } from "../crd/crd-spec.ts";
import {
  validateAPIApproval,
  validateCRD,
  validateCRDUpdate,
  validateNames,
  validateStoredVersions,
} from "../crd/crd-validation.ts";
import { type NativeResource, validateNotShadowingNative } from "../crd/native-shadowing.ts";
import type { KObject, ResourceDef } from "../types.ts";
import {
  builtin,
  ensureObject,
  keepAllButStatus,
  objectAt,
  objects,
  STORED_VERBS,
  statusSubresource,
  str,
  strings,
} from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";
import { isObject } from "../../machinery/object.ts";

const wire = new WireDecoder("CustomResourceDefinition", "v1");

function decode(obj: KObject): void {
  const spec = wire.object(
    obj.spec,
    { struct: "CustomResourceDefinition", path: "spec" },
    "v1.CustomResourceDefinitionSpec",
  );
  if (!spec) return;
  const at = (f: string) => ({ struct: "CustomResourceDefinitionSpec", path: `spec.${f}` });
  wire.string(spec.group, at("group"));
  wire.string(spec.scope, at("scope"));
  const names = wire.object(spec.names, at("names"), "v1.CustomResourceDefinitionNames");
  if (names) {
    for (const f of ["plural", "singular", "kind", "listKind"])
      wire.string(names[f], { struct: "CustomResourceDefinitionNames", path: `spec.names.${f}` });
    for (const f of ["shortNames", "categories"])
      wire.strings(names[f], { struct: "CustomResourceDefinitionNames", path: `spec.names.${f}` });
  }
  for (const v of wire.objectList(spec.versions, at("versions"), "v1.CustomResourceDefinitionVersion") ?? []) {
    const vat = (f: string) => ({ struct: "CustomResourceDefinitionVersion", path: `spec.versions.${f}` });
    wire.string(v.name, vat("name"));
    wire.bool(v.served, vat("served"));
    wire.bool(v.storage, vat("storage"));
    const validation = wire.object(v.schema, vat("schema"), "v1.CustomResourceValidation");
    if (validation) decodeSchema(validation.openAPIV3Schema, "spec.versions.schema.openAPIV3Schema", 0);
  }
}

/** The Go types of JSONSchemaProps' scalar and list fields, by JSON name. */
const SCHEMA_STRINGS = [
  "id",
  "$schema",
  "$ref",
  "description",
  "type",
  "format",
  "title",
  "pattern",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
];
const SCHEMA_BOOLS = [
  "exclusiveMaximum",
  "exclusiveMinimum",
  "uniqueItems",
  "nullable",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
];
const SCHEMA_INTS = ["maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"];
const SCHEMA_NUMBERS = ["maximum", "minimum", "multipleOf"];
const SCHEMA_STRING_LISTS = ["required", "x-kubernetes-list-map-keys"];
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions"];
const SCHEMA_LISTS = ["allOf", "oneOf", "anyOf"];
/** Deeper than this, schemas are left to the structural checks (which bound their own depth). */
const MAX_SCHEMA_DECODE_DEPTH = 200;

/**
 * Decode a JSONSchemaProps as kube's typed decoding does: a field of another JSON type (a bool
 * for `x-kubernetes-list-map-keys`) is a 400 here, before any check reads it as its Go type.
 */
function decodeSchema(v: unknown, path: string, depth: number): void {
  if (depth > MAX_SCHEMA_DECODE_DEPTH) return;
  const s = wire.object(v, { struct: "CustomResourceValidation", path }, "v1.JSONSchemaProps");
  if (!s) return;
  const at = (f: string) => ({ struct: "JSONSchemaProps", path: `${path}.${f}` });
  const has = (f: string) => Object.hasOwn(s, f);
  for (const f of SCHEMA_STRINGS) if (has(f)) wire.string(s[f], at(f));
  for (const f of SCHEMA_BOOLS) if (has(f)) wire.bool(s[f], at(f));
  for (const f of SCHEMA_INTS) if (has(f)) wire.int(s[f], at(f), 64);
  for (const f of SCHEMA_NUMBERS)
    if (has(f) && s[f] !== null && typeof s[f] !== "number")
      throw wire.fail(
        `json: cannot unmarshal ${typeof s[f]} into Go struct field JSONSchemaProps.${path}.${f} of type float64`,
      );
  for (const f of SCHEMA_STRING_LISTS) if (has(f)) wire.strings(s[f], at(f));
  for (const f of SCHEMA_MAPS) {
    const m = has(f) ? wire.object(s[f], at(f), "map[string]v1.JSONSchemaProps") : undefined;
    for (const k of Object.keys(m ?? {})) decodeSchema(m?.[k], `${path}.${f}.${k}`, depth + 1);
  }
  for (const f of SCHEMA_LISTS)
    for (const sub of (has(f) ? wire.array(s[f], at(f), "[]v1.JSONSchemaProps") : undefined) ?? [])
      decodeSchema(sub, `${path}.${f}`, depth + 1);
  if (has("items") && !Array.isArray(s.items)) decodeSchema(s.items, `${path}.items`, depth + 1);
  if (has("not")) decodeSchema(s.not, `${path}.not`, depth + 1);
  if (has("additionalProperties") && typeof s.additionalProperties !== "boolean")
    decodeSchema(s.additionalProperties, `${path}.additionalProperties`, depth + 1);
  if (has("enum")) wire.array(s.enum, at("enum"), "[]v1.JSON");
  if (has("x-kubernetes-validations"))
    for (const rule of wire.objectList(
      s["x-kubernetes-validations"],
      at("x-kubernetes-validations"),
      "v1.ValidationRule",
    ) ?? [])
      for (const f of ["rule", "message", "messageExpression", "reason", "fieldPath"])
        wire.string(rule[f], { struct: "ValidationRule", path: `${path}.x-kubernetes-validations.${f}` });
}

/** SetDefaults_CustomResourceDefinitionSpec. */
function applyDefaults(obj: KObject): void {
  if (!isObject(obj.spec)) return;
  const names = ensureObject(obj.spec, "names");
  const kind = str(names.kind);
  if (!str(names.singular)) names.singular = kind.toLowerCase();
  if (!str(names.listKind) && kind) names.listKind = `${kind}List`;
  if (!isObject(obj.spec.conversion)) obj.spec.conversion = { strategy: "None" };
}

/** Record the storage version in status.storedVersions, as kube does on every write. */
function addStoredVersion(obj: KObject): void {
  const status = ensureObject(obj, "status");
  const stored = strings(status.storedVersions);
  const storage = objects(objectAt(obj, "spec").versions).find((v) => v.storage === true);
  if (storage && !stored.includes(str(storage.name))) stored.push(str(storage.name));
  status.storedVersions = stored;
}

/** Mark a CRD for deletion as kube's CRD REST delete does: the cleanup finalizer and a Terminating condition. */
function prepareForDelete(obj: KObject): void {
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(CLEANUP_FINALIZER)) obj.metadata.finalizers = [...finalizers, CLEANUP_FINALIZER];
  setCondition(obj, {
    type: "Terminating",
    status: "True",
    reason: "InstanceDeletionPending",
    message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
  });
}

/** `natives`: the resources kcp serves natively, which no CRD may shadow (read at validation time). */
export function apiextensionsResources(natives: () => readonly NativeResource[] = () => []): ResourceDef[] {
  return [
    builtin({
      group: "apiextensions.k8s.io",
      version: "v1",
      plural: "customresourcedefinitions",
      singular: "customresourcedefinition",
      kind: "CustomResourceDefinition",
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      namespaced: false,
      verbs: STORED_VERBS,
      subresources: [statusSubresource()],
      strategy: {
        hasStatus: true,
        tracksGeneration: true,
        prepareForCreate(obj) {
          decode(obj);
          applyDefaults(obj);
          // acceptedNames is a struct without omitempty: kube writes it empty until names are accepted.
          obj.status = { acceptedNames: { plural: "", kind: "" }, storedVersions: [] };
          addStoredVersion(obj);
        },
        prepareForUpdate(obj, old) {
          decode(obj);
          applyDefaults(obj);
          obj.status = structuredClone(old.status ?? {});
          addStoredVersion(obj);
        },
        prepareForStatusUpdate(obj, old) {
          decode(obj);
          keepAllButStatus(obj, old);
        },
        validate: (obj) => [
          ...validateCRD(obj),
          ...validateNotShadowingNative(obj, natives()),
          ...validateStoredVersions(obj),
          ...validateAPIApproval(obj),
        ],
        validateUpdate: (obj, old) => [
          ...validateCRDUpdate(obj, old),
          // Not tightened on update: a CRD stored before the rule can still be changed and deleted.
          ...(validateNotShadowingNative(old, natives()).length ? [] : validateNotShadowingNative(obj, natives())),
          ...validateStoredVersions(obj),
          ...validateAPIApproval(obj, old),
        ],
        validateStatusUpdate: (obj) => [
          ...validateNames(objectAt(objectAt(obj, "status"), "acceptedNames"), "status.acceptedNames"),
          ...validateStoredVersions(obj),
        ],
        prepareForDelete,
      },
    }),
  ];
}
