// apiresource.kcp.dev/v1alpha1: APIResourceImport ("this physical cluster offers this resource with
// this schema") and NegotiatedAPIResource (the schema every attached cluster accepts, for one
// group/version/resource of a logical cluster), served in every logical cluster without a CRD, as
// Cluster is (cluster.ts). The cluster controller's importer writes imports, the negotiation
// controller (src/controllers/negotiation/) writes negotiated resources, import status and CRDs.
//
// The names, fields, condition types and reasons below are shared by both controllers.

import { field, type FieldError } from "../../machinery/status.ts";
import { isObject } from "../../machinery/object.ts";
import { isDNS1123Label } from "../../machinery/validation/names.ts";
import { validateNames } from "../crd/crd-validation.ts";
import { reportUnknownFields } from "../crd/unknown-fields.ts";
import type { KObject, PrinterColumn, RequestContext, ResourceDef } from "../types.ts";
import { keepAllButStatus, keepStatus, STORED_VERBS, statusSubresource } from "./strategy-helpers.ts";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../capabilities.ts";

export const APIRESOURCE_GROUP = "apiresource.kcp.dev";
export const APIRESOURCE_VERSION = "v1alpha1";
export const APIRESOURCE_API_VERSION = `${APIRESOURCE_GROUP}/${APIRESOURCE_VERSION}`;
export const IMPORT_RESOURCE = "apiresourceimports";
export const IMPORT_KIND = "APIResourceImport";
export const NEGOTIATED_RESOURCE = "negotiatedapiresources";
export const NEGOTIATED_KIND = "NegotiatedAPIResource";

/** Annotation on both kinds holding the apiVersion of the resource they describe (`apps/v1`, `v1`): display only. */
export const API_VERSION_ANNOTATION = "apiresource.kcp.dev/apiVersion";

/** How the core group is spelt in names (and may be spelt in spec.groupVersion.group). */
const CORE_SEGMENT = "core";

/** May an import change the negotiated schema? Never; only while it is not published; always. */
export const SCHEMA_UPDATE_STRATEGIES = ["UpdateNever", "UpdateUnpublished", "UpdatePublished"] as const;
export type SchemaUpdateStrategy = (typeof SCHEMA_UPDATE_STRATEGIES)[number];
/** What the importer writes when it has no reason to choose otherwise (the seed's default). */
export const DEFAULT_SCHEMA_UPDATE_STRATEGY: SchemaUpdateStrategy = "UpdateUnpublished";

export const SCOPES = ["Namespaced", "Cluster"] as const;
export type ResourceScope = (typeof SCOPES)[number];

/** The subresources a negotiated resource may carry into its CRD. */
export const SUBRESOURCE_NAMES = ["status", "scale"] as const;

/** Condition types of an APIResourceImport. */
export const ImportCondition = {
  /** The import's schema (and names, scope, …) agree with the negotiated resource's. */
  Compatible: "Compatible",
  /** The negotiated resource is published: kcp serves the resource (mirrors its Published). */
  Available: "Available",
} as const;

/** Condition types of a NegotiatedAPIResource. */
export const NegotiatedCondition = {
  /** A CRD was created or updated from it. */
  Submitted: "Submitted",
  /** Its CRD is Established, its names accepted, and not being deleted. */
  Published: "Published",
  /** A CRD made by a user (not owned by a negotiated resource) dictates the schema. */
  Enforced: "Enforced",
} as const;

/** Reasons of the conditions above. */
export const APIResourceReason = {
  IncompatibleSchema: "IncompatibleSchema",
  SchemaCompatible: "SchemaCompatible",
  Published: "Published",
  NotPublished: "NotPublished",
  CRDSubmitted: "CRDSubmitted",
  ManualCRD: "ManualCRD",
  NegotiatedCRD: "NegotiatedCRD",
} as const;

export interface GroupVersion {
  /** "" or absent for the core group ("core" is accepted and means the same). */
  group?: string;
  version: string;
}

export interface ColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The fields imports and negotiated resources share (the seed's CommonAPIResourceSpec, inlined). */
export interface CommonAPIResourceSpec {
  groupVersion: GroupVersion;
  scope: ResourceScope;
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  /** A CRD v1 openAPIV3Schema (JSONSchemaProps as JSON). */
  openAPIV3Schema: Record<string, unknown>;
  subResources?: { name: string }[];
  columnDefinitions?: ColumnDefinition[];
}

export interface APIResourceImportSpec extends CommonAPIResourceSpec {
  /** The Cluster (its metadata.name) offering the resource. */
  location: string;
  schemaUpdateStrategy?: SchemaUpdateStrategy;
}

export interface NegotiatedAPIResourceSpec extends CommonAPIResourceSpec {
  /** Create (and keep) a CRD from this resource. */
  publish?: boolean;
}

/** metav1.Condition's shape. */
export interface APIResourceCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface APIResourceStatus {
  conditions?: APIResourceCondition[];
}

interface APIResourceObject<S> {
  apiVersion: typeof APIRESOURCE_API_VERSION;
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
    deletionTimestamp?: string;
    [k: string]: unknown;
  };
  spec: S;
  status?: APIResourceStatus;
}

export interface APIResourceImport extends APIResourceObject<APIResourceImportSpec> {
  kind: typeof IMPORT_KIND;
}

export interface NegotiatedAPIResource extends APIResourceObject<NegotiatedAPIResourceSpec> {
  kind: typeof NEGOTIATED_KIND;
}

/** The group as the API spells it: "" for the core group, whether written "", "core" or not at all. */
export function normalizeGroup(group: string | undefined): string {
  return group === undefined || group === CORE_SEGMENT ? "" : group;
}

/** The group as names spell it: "core" for the core group. */
function groupSegment(group: string | undefined): string {
  const g = normalizeGroup(group);
  return g === "" ? CORE_SEGMENT : g;
}

/** `apps/v1`, or `v1` for the core group: the value of API_VERSION_ANNOTATION. */
export function apiVersionOf(group: string | undefined, version: string): string {
  const g = normalizeGroup(group);
  return g === "" ? version : `${g}/${version}`;
}

/** `<plural>.<location>.<version>.<group|core>`, e.g. deployments.us-east1.v1.apps. */
export function importName(plural: string, location: string, version: string, group: string | undefined): string {
  return `${plural}.${location}.${version}.${groupSegment(group)}`;
}

/** `<plural>.<version>.<group|core>`, e.g. deployments.v1.apps. */
export function negotiatedName(plural: string, version: string, group: string | undefined): string {
  return `${plural}.${version}.${groupSegment(group)}`;
}

/** The CRD serving a negotiated resource: `<plural>.<group|core>` (as kcp's core-group CRDs are named). */
export function crdNameFor(plural: string, group: string | undefined): string {
  return `${plural}.${groupSegment(group)}`;
}

/**
 * Whether an import with this strategy may change (narrow) the negotiated schema, given whether
 * the negotiated resource is published. An empty or unknown strategy never may.
 */
export function strategyAllowsUpdate(strategy: unknown, published: boolean): boolean {
  if (strategy === "UpdatePublished") return true;
  if (strategy === "UpdateUnpublished") return !published;
  return false;
}

// ---- schema (published OpenAPI and kubectl explain) ----

const conditionSchema = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: { type: "string", description: "Type of the condition." },
    status: { type: "string", enum: ["True", "False", "Unknown"], description: "True, False or Unknown." },
    observedGeneration: { type: "integer", format: "int64", description: "The generation the condition is about." },
    lastTransitionTime: {
      type: "string",
      format: "date-time",
      description: "When the status last changed (not when the condition was last written).",
    },
    reason: { type: "string", description: "A CamelCase word saying why, for machines." },
    message: { type: "string", description: "What is going on, for people." },
  },
};

function commonSpecProperties(): Record<string, unknown> {
  return {
    groupVersion: {
      type: "object",
      required: ["version"],
      description: "The group (empty or core for the core group) and version of the resource.",
      properties: { group: { type: "string" }, version: { type: "string" } },
    },
    scope: { type: "string", enum: [...SCOPES], description: "Namespaced or Cluster." },
    plural: { type: "string", description: "The resource name, e.g. deployments." },
    singular: { type: "string" },
    kind: { type: "string", description: "The kind, e.g. Deployment." },
    listKind: { type: "string" },
    shortNames: { type: "array", items: { type: "string" } },
    categories: { type: "array", items: { type: "string" } },
    openAPIV3Schema: {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      description: "The resource's schema, as a CRD version's openAPIV3Schema.",
    },
    subResources: {
      type: "array",
      items: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", enum: [...SUBRESOURCE_NAMES] } },
      },
    },
    columnDefinitions: {
      type: "array",
      description: "Printer columns, as a CRD version's additionalPrinterColumns.",
      items: {
        type: "object",
        required: ["name", "type", "jsonPath"],
        properties: {
          name: { type: "string" },
          type: { type: "string" },
          format: { type: "string" },
          description: { type: "string" },
          priority: { type: "integer", format: "int32" },
          jsonPath: { type: "string" },
        },
      },
    },
  };
}

function kindSchema(description: string, extra: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return {
    type: "object",
    description,
    required: ["spec"],
    properties: {
      spec: {
        type: "object",
        required: ["groupVersion", "scope", "plural", "kind", "openAPIV3Schema", ...required],
        properties: { ...commonSpecProperties(), ...extra },
      },
      status: {
        type: "object",
        properties: { conditions: { type: "array", items: conditionSchema } },
      },
    },
  };
}

const IMPORT_SCHEMA = kindSchema(
  "APIResourceImport: a resource, with its schema, that a physical cluster (location) offers to its logical cluster.",
  {
    location: { type: "string", description: "The Cluster offering the resource." },
    schemaUpdateStrategy: {
      type: "string",
      enum: [...SCHEMA_UPDATE_STRATEGIES],
      description:
        "Whether this import may narrow the negotiated schema: UpdateNever, UpdateUnpublished (only while it is not published) or UpdatePublished.",
    },
  },
  ["location"],
);

const NEGOTIATED_SCHEMA = kindSchema(
  "NegotiatedAPIResource: the schema of a resource that every attached physical cluster accepts, and whether kcp serves it.",
  { publish: { type: "boolean", description: "Create a CRD from it, so that kcp serves the resource." } },
  [],
);

// ---- validation ----

const MAX_LIST = 64;
const MAX_NAME = 253;

type Json = Record<string, unknown>;

function stringList(errs: FieldError[], v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errs.push(field.typeInvalid(path, v, "must be an array of strings"));
    return [];
  }
  if (v.length > MAX_LIST) {
    errs.push(field.invalid(path, "", `at most ${MAX_LIST} items`));
    return [];
  }
  const out: string[] = [];
  const seen = new Set<string>();
  v.forEach((s, i) => {
    if (typeof s !== "string" || s === "") errs.push(field.invalid(`${path}[${i}]`, s, "must be a non-empty string"));
    else if (seen.has(s)) errs.push(field.duplicate(`${path}[${i}]`, s));
    else {
      seen.add(s);
      out.push(s);
    }
  });
  return out;
}

function requiredString(errs: FieldError[], spec: Json, key: string, path: string): string {
  const v = spec[key];
  if (v === undefined || v === null || v === "") {
    errs.push(field.required(`${path}.${key}`, ""));
    return "";
  }
  if (typeof v !== "string") {
    errs.push(field.typeInvalid(`${path}.${key}`, v, "must be a string"));
    return "";
  }
  if (v.length > MAX_NAME) {
    errs.push(field.tooLong(`${path}.${key}`, "", MAX_NAME));
    return "";
  }
  return v;
}

function optionalString(errs: FieldError[], spec: Json, key: string, path: string): void {
  const v = spec[key];
  if (v !== undefined && v !== null && typeof v !== "string")
    errs.push(field.typeInvalid(`${path}.${key}`, v, "must be a string"));
}

/** The common spec's checks; answers the GVR's parts for the name check (empty when invalid). */
function validateCommonSpec(spec: Json, errs: FieldError[]): { group: string; version: string; plural: string } {
  const gv = spec.groupVersion;
  let group = "";
  let version = "";
  if (!isObject(gv)) errs.push(field.required("spec.groupVersion", ""));
  else {
    version = requiredString(errs, gv, "version", "spec.groupVersion");
    if (version && isDNS1123Label(version).length)
      errs.push(field.invalid("spec.groupVersion.version", version, isDNS1123Label(version).join(",")));
    if (gv.group !== undefined && gv.group !== null) {
      if (typeof gv.group !== "string")
        errs.push(field.typeInvalid("spec.groupVersion.group", gv.group, "must be a string"));
      else if (gv.group.length > MAX_NAME) errs.push(field.tooLong("spec.groupVersion.group", "", MAX_NAME));
      else if (gv.group !== "" && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(gv.group))
        errs.push(
          field.invalid("spec.groupVersion.group", gv.group, "must be a DNS subdomain, or empty for the core group"),
        );
      else group = gv.group;
    }
  }
  if (spec.scope === undefined || spec.scope === null || spec.scope === "") errs.push(field.required("spec.scope", ""));
  else if (!(SCOPES as readonly unknown[]).includes(spec.scope))
    errs.push(field.notSupported("spec.scope", spec.scope, [...SCOPES]));
  const plural = requiredString(errs, spec, "plural", "spec");
  requiredString(errs, spec, "kind", "spec");
  optionalString(errs, spec, "singular", "spec");
  optionalString(errs, spec, "listKind", "spec");
  stringList(errs, spec.shortNames, "spec.shortNames");
  stringList(errs, spec.categories, "spec.categories");
  errs.push(...validateNames(spec, "spec"));
  const schema = spec.openAPIV3Schema;
  if (schema === undefined || schema === null) errs.push(field.required("spec.openAPIV3Schema", ""));
  else if (!isObject(schema)) errs.push(field.typeInvalid("spec.openAPIV3Schema", schema, "must be an object"));
  const subs = spec.subResources;
  if (subs !== undefined && subs !== null) {
    if (!Array.isArray(subs) || subs.length > SUBRESOURCE_NAMES.length)
      errs.push(field.invalid("spec.subResources", "", "at most one status and one scale"));
    else {
      const seen = new Set<unknown>();
      subs.forEach((s, i) => {
        const path = `spec.subResources[${i}].name`;
        const name = isObject(s) ? s.name : undefined;
        if (!(SUBRESOURCE_NAMES as readonly unknown[]).includes(name))
          errs.push(field.notSupported(path, name, [...SUBRESOURCE_NAMES]));
        else if (seen.has(name)) errs.push(field.duplicate(path, name));
        else seen.add(name);
      });
    }
  }
  const cols = spec.columnDefinitions;
  if (cols !== undefined && cols !== null) {
    if (!Array.isArray(cols)) errs.push(field.typeInvalid("spec.columnDefinitions", cols, "must be an array"));
    else if (cols.length > MAX_LIST)
      errs.push(field.invalid("spec.columnDefinitions", "", `at most ${MAX_LIST} items`));
    else
      cols.forEach((c, i) => {
        const path = `spec.columnDefinitions[${i}]`;
        if (!isObject(c)) {
          errs.push(field.typeInvalid(path, c, "must be an object"));
          return;
        }
        requiredString(errs, c, "name", path);
        requiredString(errs, c, "type", path);
        const jp = requiredString(errs, c, "jsonPath", path);
        if (jp && !jp.startsWith("."))
          errs.push(field.invalid(`${path}.jsonPath`, jp, "must be a simple json path starting with ."));
        optionalString(errs, c, "format", path);
        optionalString(errs, c, "description", path);
        if (c.priority !== undefined && c.priority !== null && !Number.isInteger(c.priority))
          errs.push(field.typeInvalid(`${path}.priority`, c.priority, "must be an integer"));
      });
  }
  return { group, version, plural };
}

function checkName(errs: FieldError[], obj: KObject, expected: string, how: string): void {
  const name = isObject(obj.metadata) ? obj.metadata.name : undefined;
  if (typeof name === "string" && name !== expected)
    errs.push(field.invalid("metadata.name", name, `must be ${how}: ${JSON.stringify(expected)}`));
}

function validateImport(obj: KObject): FieldError[] {
  const spec = obj.spec;
  if (!isObject(spec)) return [field.required("spec", "")];
  const errs: FieldError[] = [];
  const { group, version, plural } = validateCommonSpec(spec, errs);
  const location = requiredString(errs, spec, "location", "spec");
  if (location && isDNS1123Label(location).length)
    errs.push(field.invalid("spec.location", location, "must be the name of a Cluster (a DNS-1123 label)"));
  const strategy = spec.schemaUpdateStrategy;
  if (
    strategy !== undefined &&
    strategy !== null &&
    !(SCHEMA_UPDATE_STRATEGIES as readonly unknown[]).includes(strategy)
  )
    errs.push(field.notSupported("spec.schemaUpdateStrategy", strategy, [...SCHEMA_UPDATE_STRATEGIES]));
  // One import per (location, group, version, resource): the name says which.
  if (errs.length === 0)
    checkName(errs, obj, importName(plural, location, version, group), "<plural>.<location>.<version>.<group|core>");
  return errs;
}

function validateNegotiated(obj: KObject): FieldError[] {
  const spec = obj.spec;
  if (!isObject(spec)) return [field.required("spec", "")];
  const errs: FieldError[] = [];
  const { group, version, plural } = validateCommonSpec(spec, errs);
  if (spec.publish !== undefined && spec.publish !== null && typeof spec.publish !== "boolean")
    errs.push(field.typeInvalid("spec.publish", spec.publish, "must be a boolean"));
  // One negotiated resource per (group, version, resource): the name says which.
  if (errs.length === 0)
    checkName(errs, obj, negotiatedName(plural, version, group), "<plural>.<version>.<group|core>");
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const status = obj.status;
  if (status === undefined || status === null) return [];
  if (!isObject(status)) return [field.typeInvalid("status", status, "must be an object")];
  const conds = status.conditions;
  if (conds === undefined || conds === null) return [];
  if (!Array.isArray(conds) || conds.length > 16) return [field.invalid("status.conditions", "", "at most 16")];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  conds.forEach((c, i) => {
    const path = `status.conditions[${i}]`;
    if (!isObject(c)) {
      errs.push(field.typeInvalid(path, c, "must be an object"));
      return;
    }
    if (typeof c.type !== "string" || c.type === "") errs.push(field.required(`${path}.type`, ""));
    else if (seen.has(c.type)) errs.push(field.duplicate(`${path}.type`, c.type));
    else seen.add(c.type);
    if (!["True", "False", "Unknown"].includes(c.status as string))
      errs.push(field.notSupported(`${path}.status`, c.status, ["True", "False", "Unknown"]));
    for (const k of ["reason", "message", "lastTransitionTime"])
      if (c[k] !== undefined && c[k] !== null && typeof c[k] !== "string")
        errs.push(field.typeInvalid(`${path}.${k}`, c[k], "must be a string"));
  });
  return errs;
}

// ---- pruning: fields the schema does not declare are dropped, as a CRD's structural schema would ----

const TOP_FIELDS = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);
const COMMON_FIELDS = [
  "groupVersion",
  "scope",
  "plural",
  "singular",
  "kind",
  "listKind",
  "shortNames",
  "categories",
  "openAPIV3Schema",
  "subResources",
  "columnDefinitions",
];
const IMPORT_SPEC_FIELDS = new Set([...COMMON_FIELDS, "location", "schemaUpdateStrategy"]);
const NEGOTIATED_SPEC_FIELDS = new Set([...COMMON_FIELDS, "publish"]);
const GROUP_VERSION_FIELDS = new Set(["group", "version"]);
const STATUS_FIELDS = new Set(["conditions"]);
const CONDITION_FIELDS = new Set(["type", "status", "observedGeneration", "lastTransitionTime", "reason", "message"]);
const SUBRESOURCE_FIELDS = new Set(["name"]);
const COLUMN_FIELDS = new Set(["name", "type", "format", "description", "priority", "jsonPath"]);

function pruner(kind: string, specFields: Set<string>) {
  return (obj: KObject, ctx: RequestContext): void => {
    const unknown: string[] = [];
    const drop = (o: unknown, known: Set<string>, prefix: string) => {
      if (!isObject(o)) return;
      for (const k of Object.keys(o)) {
        if (!known.has(k)) {
          unknown.push(`${prefix}${k}`);
          delete o[k];
        }
      }
    };
    drop(obj, TOP_FIELDS, "");
    const spec = obj.spec;
    if (isObject(spec)) {
      drop(spec, specFields, "spec.");
      drop(spec.groupVersion, GROUP_VERSION_FIELDS, "spec.groupVersion.");
      if (Array.isArray(spec.columnDefinitions))
        for (const [i, c] of spec.columnDefinitions.entries()) drop(c, COLUMN_FIELDS, `spec.columnDefinitions[${i}].`);
      if (Array.isArray(spec.subResources))
        for (const [i, s] of spec.subResources.entries()) drop(s, SUBRESOURCE_FIELDS, `spec.subResources[${i}].`);
    }
    const status = obj.status;
    if (isObject(status)) {
      drop(status, STATUS_FIELDS, "status.");
      if (Array.isArray(status.conditions))
        for (const [i, c] of status.conditions.entries()) drop(c, CONDITION_FIELDS, `status.conditions[${i}].`);
    }
    reportUnknownFields(kind, APIRESOURCE_VERSION, ctx, unknown, []);
  };
}

// ---- printer columns ----

function conditionStatus(type: string): string {
  return `.status.conditions[?(@.type=="${type}")].status`;
}

const API_VERSION_COLUMN: PrinterColumn = {
  name: "API Version",
  type: "string",
  jsonPath: `.metadata.annotations.${API_VERSION_ANNOTATION.replaceAll(".", "\\.")}`,
  description: "The apiVersion of the resource",
};
const API_RESOURCE_COLUMN: PrinterColumn = { name: "API Resource", type: "string", jsonPath: ".spec.plural" };

function definition(
  resource: string,
  singular: string,
  kind: string,
  schema: Record<string, unknown>,
  printerColumns: PrinterColumn[],
  specFields: Set<string>,
  validate: (obj: KObject) => FieldError[],
): ResourceDef {
  const prune = pruner(kind, specFields);
  return {
    group: APIRESOURCE_GROUP,
    version: APIRESOURCE_VERSION,
    plural: resource,
    singular,
    kind,
    listKind: `${kind}List`,
    categories: ["kcp"],
    namespaced: false,
    verbs: STORED_VERBS,
    subresources: [statusSubresource()],
    mode: "stored",
    source: "builtin",
    // No Go types behind them: served as custom resources are (JSON, their own schema, printer columns).
    capabilities: CUSTOM_RESOURCE_CAPABILITIES,
    openAPISchema: schema,
    printerColumns,
    strategy: {
      hasStatus: true,
      tracksGeneration: true,
      prepareForCreate(obj, ctx) {
        prune(obj, ctx);
        delete obj.status;
      },
      prepareForUpdate(obj, old, ctx) {
        prune(obj, ctx);
        keepStatus(obj, old);
      },
      prepareForStatusUpdate(obj, old, ctx) {
        prune(obj, ctx);
        keepAllButStatus(obj, old);
      },
      validate: (obj) => validate(obj),
      validateUpdate: (obj) => validate(obj),
      validateStatusUpdate: (obj) => validateStatus(obj),
    },
  };
}

export function apiResourceResources(): ResourceDef[] {
  return [
    definition(
      IMPORT_RESOURCE,
      "apiresourceimport",
      IMPORT_KIND,
      IMPORT_SCHEMA,
      [
        { name: "Location", type: "string", jsonPath: ".spec.location", description: "The Cluster offering it" },
        { name: "Schema update strategy", type: "string", jsonPath: ".spec.schemaUpdateStrategy" },
        API_VERSION_COLUMN,
        API_RESOURCE_COLUMN,
        { name: "Compatible", type: "string", jsonPath: conditionStatus(ImportCondition.Compatible) },
        { name: "Available", type: "string", jsonPath: conditionStatus(ImportCondition.Available) },
      ],
      IMPORT_SPEC_FIELDS,
      validateImport,
    ),
    definition(
      NEGOTIATED_RESOURCE,
      "negotiatedapiresource",
      NEGOTIATED_KIND,
      NEGOTIATED_SCHEMA,
      [
        { name: "Publish", type: "boolean", jsonPath: ".spec.publish" },
        API_VERSION_COLUMN,
        API_RESOURCE_COLUMN,
        { name: "Published", type: "string", jsonPath: conditionStatus(NegotiatedCondition.Published) },
        { name: "Enforced", type: "string", jsonPath: conditionStatus(NegotiatedCondition.Enforced) },
      ],
      NEGOTIATED_SPEC_FIELDS,
      validateNegotiated,
    ),
  ];
}

/** A condition of `obj`'s status by type, or undefined. */
export function conditionOf(obj: object, type: string): APIResourceCondition | undefined {
  const status = (obj as { status?: unknown }).status;
  if (!isObject(status) || !Array.isArray(status.conditions)) return undefined;
  return (status.conditions as unknown[]).find((c): c is APIResourceCondition => isObject(c) && c.type === type);
}
