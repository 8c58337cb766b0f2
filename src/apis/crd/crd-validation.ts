// Validation of CustomResourceDefinition objects, as apiextensions-apiserver validates them after
// converting v1 to its internal form: a schema, subresources or printer columns identical in every
// version are reported at spec.validation, spec.subresources, spec.additionalPrinterColumns;
// otherwise per version. Messages and their order follow kube's ValidateCustomResourceDefinition.

import { field, type FieldError } from "../../machinery/status.ts";
import { isDNS1035Label } from "../builtin/dns1035-label.ts";
import { deepEqual } from "../object-codec.ts";
import type { KObject } from "../types.ts";
import { isDNS1123Subdomain } from "../../machinery/validation/names.ts";
import { isConditionTrue } from "./crd-spec.ts";
import { CORE_GROUP_VERSION, isCoreGroupCRD, isKubeDotlessGroup } from "./kube-groups.ts";
import { index, key } from "./field-path.ts";
import { validateVersionSchema } from "./openapi-schema-checks.ts";
import { isSchema, type JSONSchemaProps, propertySchema } from "./schema-types.ts";
import { type JsonObject, obj, objects, str, strings } from "../../machinery/json-access.ts";

type Json = JsonObject;

const PRINTER_COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
const PRINTER_COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];
const MAX_SELECTABLE_FIELDS = 8;
const API_APPROVAL = "api-approved.kubernetes.io";

/** Fields every version may set that kube hoists to the top level when all versions agree. */
interface Hoisted {
  schema: boolean;
  subresources: boolean;
  columns: boolean;
  selectableFields: boolean;
}

function hoisting(versions: Json[]): Hoisted {
  const same = (f: (v: Json) => unknown) =>
    versions.length > 0 && versions.every((v) => deepEqual(f(v), f(versions[0] as Json)));
  const cols = (v: Json) => (objects(v.additionalPrinterColumns).length > 0 ? v.additionalPrinterColumns : undefined);
  const sel = (v: Json) => (objects(v.selectableFields).length > 0 ? v.selectableFields : undefined);
  return {
    schema: same((v) => v.schema),
    subresources: same((v) => v.subresources),
    columns: same(cols),
    selectableFields: same(sel),
  };
}

function versionsGoValue(versions: Json[]): string {
  return `[]apiextensions.CustomResourceDefinitionVersion{${versions.map((v) => `{Name:${JSON.stringify(str(v.name))}}`).join(", ")}}`;
}

/** ValidateCustomResourceDefinition (without the generic metadata checks the store runs). */
export function validateCRD(crd: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(crd.spec);
  const names = obj(spec.names);
  const name = str(crd.metadata.name);
  const group = str(spec.group);
  const coreGroup = isCoreGroupCRD(name, group, str(names.plural));
  // kube compares with plural+"."+group literally (so "widgets." for an empty group, then reports
  // the group as required); the core group's own spelling is <plural>.core.
  if (name && name !== `${str(names.plural)}.${group}` && !coreGroup)
    errs.push(field.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'));
  errs.push(...validateSpec(spec, coreGroup));
  errs.push(...validateNames(obj(obj(crd.status).acceptedNames), "status.acceptedNames"));
  return errs;
}

/** ValidateCustomResourceDefinitionUpdate: the create checks plus what may not change. */
export function validateCRDUpdate(crd: KObject, old: KObject): FieldError[] {
  const errs = validateCRD(crd);
  const now = obj(crd.spec);
  const before = obj(old.spec);
  const immutable = (path: string, a: string, b: string) => {
    if (a !== b) errs.push(field.invalid(path, a, "field is immutable"));
  };
  // Once served, scope and kind shape stored data and clients; group and plural are in the name.
  if (isConditionTrue(old, "Established")) {
    immutable("spec.scope", str(now.scope), str(before.scope));
    immutable("spec.names.kind", str(obj(now.names).kind), str(obj(before.names).kind));
  }
  immutable("spec.group", str(now.group), str(before.group));
  immutable("spec.names.plural", str(obj(now.names).plural), str(obj(before.names).plural));
  return errs;
}

/** `coreGroup`: the CRD is named `<plural>.core` with an empty group, a kind of the core group. */
function validateSpec(spec: Json, coreGroup: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const group = str(spec.group);
  if (coreGroup) {
    // The core group has one version, served under /api/v1; there is no /api/v2 to serve another in.
    objects(spec.versions).forEach((v, i) => {
      if (str(v.name) !== CORE_GROUP_VERSION)
        errs.push(
          field.invalid(
            `spec.versions[${i}].name`,
            str(v.name),
            `the core group (spec.group "") is served only in version ${CORE_GROUP_VERSION}, under /api/${CORE_GROUP_VERSION}`,
          ),
        );
    });
  } else if (!group) errs.push(field.required("spec.group"));
  else {
    const groupErrs = isDNS1123Subdomain(group);
    if (groupErrs.length) errs.push(field.invalid("spec.group", group, groupErrs.join(",")));
    else if (group.split(".").length < 2 && !isKubeDotlessGroup(group))
      errs.push(field.invalid("spec.group", group, "should be a domain with at least one dot"));
  }
  const scope = str(spec.scope);
  if (!scope) errs.push(field.required("spec.scope"));
  else if (scope !== "Cluster" && scope !== "Namespaced")
    errs.push(field.notSupported("spec.scope", scope, ["Cluster", "Namespaced"]));

  const versions = objects(spec.versions);
  const hoisted = hoisting(versions);
  const anyStatus = versions.some(
    (v) => obj(v.subresources).status !== undefined && obj(v.subresources).status !== null,
  );

  // Every version needs a schema: pruning would otherwise drop every field.
  if (!hoisted.schema || !isSchema(obj(versions[0]?.schema).openAPIV3Schema)) {
    versions.forEach((v, i) => {
      if (!isSchema(obj(v.schema).openAPIV3Schema))
        errs.push(field.required(`spec.versions[${i}].schema.openAPIV3Schema`, "schemas are required"));
    });
  }

  let storageCount = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    const vname = str(v.name);
    if (v.storage === true) storageCount++;
    if (seen.has(vname)) unique = false;
    seen.add(vname);
    const nameErrs = isDNS1035Label(vname);
    if (nameErrs.length) errs.push(field.invalid(`${at}.name`, vname, nameErrs.join(",")));
    errs.push(...validateDeprecationWarning(v, at));
    const statusEnabled = obj(v.subresources).status !== undefined && obj(v.subresources).status !== null;
    const schema = obj(v.schema).openAPIV3Schema;
    if (!hoisted.schema && isSchema(schema))
      errs.push(...validateVersionSchema(schema, `${at}.schema`, { statusEnabled }));
    if (!hoisted.subresources) errs.push(...validateSubresources(v.subresources, `${at}.subresources`));
    if (!hoisted.columns)
      objects(v.additionalPrinterColumns).forEach((c, j) => {
        errs.push(...validateColumn(c, index(`${at}.additionalPrinterColumns`, j)));
      });
    if (!hoisted.selectableFields && objects(v.selectableFields).length > 0) {
      errs.push(
        ...validateSelectableFields(
          objects(v.selectableFields),
          isSchema(schema) ? schema : undefined,
          `${at}.selectableFields`,
        ),
      );
    }
  });
  if (!unique)
    errs.push({
      ...field.invalid("spec.versions", versions, "must contain unique version names"),
      goValue: versionsGoValue(versions),
    });
  if (storageCount !== 1)
    errs.push({
      ...field.invalid("spec.versions", versions, "must have exactly one version marked as storage version"),
      goValue: versionsGoValue(versions),
    });
  if (versions.length === 0) errs.push(field.required("spec.versions", "must have at least one version"));

  const names = obj(spec.names);
  if (!str(names.plural)) errs.push(field.required("spec.names.plural"));
  if (!str(names.singular)) errs.push(field.required("spec.names.singular"));
  if (!str(names.kind)) errs.push(field.required("spec.names.kind"));
  if (!str(names.listKind)) errs.push(field.required("spec.names.listKind"));
  errs.push(...validateNames(names, "spec.names"));

  const first = versions[0] ?? {};
  const hoistedSchema = obj(first.schema).openAPIV3Schema;
  if (hoisted.schema && isSchema(hoistedSchema))
    errs.push(...validateVersionSchema(hoistedSchema, "spec.validation", { statusEnabled: anyStatus }));
  if (hoisted.subresources) errs.push(...validateSubresources(first.subresources, "spec.subresources"));
  if (hoisted.columns)
    objects(first.additionalPrinterColumns).forEach((c, j) => {
      errs.push(...validateColumn(c, index("spec.additionalPrinterColumns", j)));
    });
  if (hoisted.selectableFields && objects(first.selectableFields).length > 0) {
    errs.push(
      ...validateSelectableFields(
        objects(first.selectableFields),
        isSchema(hoistedSchema) ? hoistedSchema : undefined,
        "spec.selectableFields",
      ),
    );
  }
  errs.push(...validateConversion(spec.conversion));
  if (spec.preserveUnknownFields === true) {
    errs.push(
      field.invalid(
        "spec.preserveUnknownFields",
        true,
        "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
      ),
    );
  }
  return errs;
}

/** ValidateCustomResourceDefinitionNames: spec.names and status.acceptedNames. */
export function validateNames(names: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const dns = (p: string, value: string, prefix = "") => {
    const e = isDNS1035Label(value);
    if (e.length) errs.push(field.invalid(p, value, prefix + e.join(",")));
  };
  const plural = str(names.plural);
  const singular = str(names.singular);
  const kind = str(names.kind);
  const listKind = str(names.listKind);
  if (plural) dns(`${path}.plural`, plural);
  if (singular) dns(`${path}.singular`, singular);
  if (kind) {
    const e = isDNS1035Label(kind.toLowerCase());
    if (e.length)
      errs.push(field.invalid(`${path}.kind`, kind, `may have mixed case, but should otherwise match: ${e.join(",")}`));
  }
  if (listKind) {
    const e = isDNS1035Label(listKind.toLowerCase());
    if (e.length)
      errs.push(
        field.invalid(`${path}.listKind`, listKind, `may have mixed case, but should otherwise match: ${e.join(",")}`),
      );
  }
  strings(names.shortNames).forEach((s, i) => {
    dns(`${path}.shortNames[${i}]`, s);
  });
  if (kind && kind === listKind)
    errs.push(field.invalid(`${path}.listKind`, listKind, "kind and listKind may not be the same"));
  strings(names.categories).forEach((c, i) => {
    dns(`${path}.categories[${i}]`, c);
  });
  return errs;
}

function validateDeprecationWarning(v: Json, path: string): FieldError[] {
  const w = v.deprecationWarning;
  if (w === undefined || w === null) return [];
  const at = `${path}.deprecationWarning`;
  if (v.deprecated !== true) return [field.invalid(at, w, "can only be set for deprecated versions")];
  const s = str(w);
  const errs: FieldError[] = [];
  if (s.length > 256) errs.push(field.invalid(at, s, "must be <= 256 characters long"));
  if (s.length === 0) errs.push(field.invalid(at, s, "must not be an empty string"));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  const bad = /[\u0000-\u001f\u007f-\u009f]/.exec(s);
  if (bad)
    errs.push(
      field.invalid(
        at,
        s,
        `must only contain printable UTF-8 characters; non-printable character found at index ${bad.index}`,
      ),
    );
  return errs;
}

function simpleJSONPathErrors(s: string, path: string): FieldError[] {
  if (s.length === 0) return [field.invalid(path, s, "must not be empty")];
  if (!s.startsWith(".")) return [field.invalid(path, s, "must be a simple json path starting with .")];
  return [];
}

function validateSubresources(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  const scale = obj(v).scale;
  if (scale === undefined || scale === null) return [];
  const s = obj(scale);
  const errs: FieldError[] = [];
  const spec = str(s.specReplicasPath);
  if (!spec) errs.push(field.required(`${path}.scale.specReplicasPath`));
  else {
    const e = simpleJSONPathErrors(spec, `${path}.scale.specReplicasPath`);
    if (e.length) errs.push(...e);
    else if (!spec.startsWith(".spec."))
      errs.push(field.invalid(`${path}.scale.specReplicasPath`, spec, "should be a json path under .spec"));
  }
  const status = str(s.statusReplicasPath);
  if (!status) errs.push(field.required(`${path}.scale.statusReplicasPath`));
  else {
    const e = simpleJSONPathErrors(status, `${path}.scale.statusReplicasPath`);
    if (e.length) errs.push(...e);
    else if (!status.startsWith(".status."))
      errs.push(field.invalid(`${path}.scale.statusReplicasPath`, status, "should be a json path under .status"));
  }
  const sel = str(s.labelSelectorPath);
  if (sel) {
    const e = simpleJSONPathErrors(sel, `${path}.scale.labelSelectorPath`);
    if (e.length) errs.push(...e);
    else if (!sel.startsWith(".spec.") && !sel.startsWith(".status."))
      errs.push(
        field.invalid(`${path}.scale.labelSelectorPath`, sel, "should be a json path under either .spec or .status"),
      );
  }
  return errs;
}

function validateColumn(c: Json, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(c.name)) errs.push(field.required(`${path}.name`));
  const type = str(c.type);
  if (!type) errs.push(field.required(`${path}.type`, `must be one of ${PRINTER_COLUMN_TYPES.join(",")}`));
  else if (!PRINTER_COLUMN_TYPES.includes(type))
    errs.push(field.invalid(`${path}.type`, type, `must be one of ${PRINTER_COLUMN_TYPES.join(",")}`));
  const format = str(c.format);
  if (format && !PRINTER_COLUMN_FORMATS.includes(format))
    errs.push(field.invalid(`${path}.format`, format, `must be one of ${PRINTER_COLUMN_FORMATS.join(",")}`));
  const jp = str(c.jsonPath);
  if (!jp) errs.push(field.required(`${path}.JSONPath`));
  else errs.push(...simpleJSONPathErrors(jp, `${path}.JSONPath`));
  return errs;
}

/** The schema a simple `.a.b` path leads to, or undefined. */
export function schemaAtPath(s: JSONSchemaProps | undefined, jsonPath: string): JSONSchemaProps | undefined {
  let cur = s;
  for (const part of jsonPath.replace(/^\./, "").split(".")) {
    if (!cur || !part) return undefined;
    const next: unknown =
      propertySchema(cur, part) ?? (isSchema(cur.additionalProperties) ? cur.additionalProperties : undefined);
    cur = isSchema(next) ? next : undefined;
  }
  return cur;
}

function validateSelectableFields(fields: Json[], schema: JSONSchemaProps | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const at = `${index(path, i)}.jsonPath`;
    const jp = str(f.jsonPath);
    if (!jp) {
      errs.push(field.required(at));
      return;
    }
    const found = /^(\.[^.[\]]+)+$/.test(jp) ? schemaAtPath(schema, jp) : undefined;
    if (!found) {
      errs.push(field.invalid(at, jp, "is an invalid path: does not refer to a valid field"));
      return;
    }
    if (jp.startsWith(".metadata.")) errs.push(field.invalid(at, jp, "must not point to fields in metadata"));
    if (found.type !== "string" && found.type !== "boolean" && found.type !== "integer") {
      errs.push(
        field.invalid(
          at,
          jp,
          "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
        ),
      );
    }
    if (seen.has(jp)) errs.push(field.duplicate(at, jp));
    seen.add(jp);
  });
  if (seen.size > MAX_SELECTABLE_FIELDS)
    errs.push({
      type: "FieldValueTooMany",
      field: path,
      value: seen.size,
      detail: `${seen.size}: must have at most ${MAX_SELECTABLE_FIELDS} items`,
    });
  return errs;
}

function validateConversion(v: unknown): FieldError[] {
  if (v === undefined || v === null) return [];
  const c = obj(v);
  const errs: FieldError[] = [];
  const strategy = str(c.strategy);
  if (!strategy) errs.push(field.required("spec.conversion.strategy"));
  else if (strategy !== "None" && strategy !== "Webhook")
    errs.push(field.notSupported("spec.conversion.strategy", strategy, ["None", "Webhook"]));
  const webhook = c.webhook === undefined || c.webhook === null ? undefined : obj(c.webhook);
  if (strategy === "Webhook") {
    const cc =
      webhook?.clientConfig === undefined || webhook?.clientConfig === null ? undefined : obj(webhook.clientConfig);
    if (!cc)
      errs.push(field.required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook"));
    else if ((cc.url === undefined) === (cc.service === undefined))
      errs.push(field.required("spec.conversion.webhookClientConfig", "exactly one of url or service is required"));
    const reviews = strings(webhook?.conversionReviewVersions);
    if (reviews.length === 0) errs.push(field.required("spec.conversion.conversionReviewVersions"));
    else if (!reviews.some((r) => r === "v1" || r === "v1beta1")) {
      errs.push({
        ...field.invalid(
          "spec.conversion.conversionReviewVersions",
          reviews,
          "must include at least one of v1, v1beta1",
        ),
        goValue: `[]string{${reviews.map((r) => JSON.stringify(r)).join(", ")}}`,
      });
    }
  } else if (webhook) {
    if (webhook.clientConfig !== undefined)
      errs.push(
        field.forbidden("spec.conversion.webhookClientConfig", "should not be set when strategy is not set to Webhook"),
      );
    if (strings(webhook.conversionReviewVersions).length > 0)
      errs.push(
        field.forbidden(
          "spec.conversion.conversionReviewVersions",
          "should not be set when strategy is not set to Webhook",
        ),
      );
  }
  return errs;
}

/** Groups whose CRDs need the API-review annotation (kube's protected groups). */
function isProtectedGroup(group: string): boolean {
  return (
    group === "k8s.io" || group === "kubernetes.io" || group.endsWith(".k8s.io") || group.endsWith(".kubernetes.io")
  );
}

function approvalState(crd: KObject): "ok" | "missing" | "invalid" {
  const v = crd.metadata.annotations?.[API_APPROVAL];
  if (v === undefined) return "missing";
  if (v.startsWith("unapproved")) return "ok";
  try {
    new URL(v);
    return "ok";
  } catch {
    return "invalid";
  }
}

/** validateAPIApproval: protected groups need `api-approved.kubernetes.io` (not tightened on update). */
export function validateAPIApproval(crd: KObject, old?: KObject): FieldError[] {
  const group = str(obj(crd.spec).group);
  if (!isProtectedGroup(group)) return [];
  if (old && approvalState(old) !== "ok") return [];
  const reason = `protected groups must have approval annotation "${API_APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`;
  const at = key("metadata.annotations", API_APPROVAL);
  const state = approvalState(crd);
  if (state === "missing") return [field.required(at, reason)];
  if (state === "invalid") return [field.invalid(at, crd.metadata.annotations?.[API_APPROVAL], reason)];
  return [];
}

/** ValidateCustomResourceDefinitionStoredVersions. */
export function validateStoredVersions(crd: KObject): FieldError[] {
  const stored = strings(obj(crd.status).storedVersions);
  if (stored.length === 0) {
    return [
      {
        ...field.invalid("status.storedVersions", stored, "must have at least one stored version"),
        goValue: `[]string{}`,
      },
    ];
  }
  const errs: FieldError[] = [];
  const unmatched = new Map(stored.map((v, i) => [v, i]));
  for (const v of objects(obj(crd.spec).versions)) {
    const name = str(v.name);
    if (v.storage === true && !stored.includes(name)) {
      errs.push({
        ...field.invalid("status.storedVersions", stored, `must have the storage version ${name}`),
        goValue: `[]string{${stored.map((s) => JSON.stringify(s)).join(", ")}}`,
      });
    }
    unmatched.delete(name);
  }
  for (const [v, i] of unmatched) {
    errs.push(
      field.invalid(
        `status.storedVersions[${i}]`,
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}
