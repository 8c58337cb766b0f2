// apiextensions.k8s.io/v1 CustomResourceDefinition, as a stored resource: defaulting, generation,
// storedVersions and the basic shape checks. Serving the custom resources it defines (schemas,
// discovery, conditions) is the CRD controller's job, not this module's.

import { field, type FieldError } from "../../server/status.ts";
import type { KObject, ResourceDef } from "../types.ts";
import { isDNS1123Subdomain } from "../validation/names.ts";
import { isDNS1035Label } from "./dns1035-label.ts";
import { goStringSlice } from "./go-values.ts";
import { builtin, ensureObject, isObject, keepAllButStatus, objectAt, objects, STORED_VERBS, statusSubresource, str, strings } from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";

const wire = new WireDecoder("CustomResourceDefinition", "v1");

function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "CustomResourceDefinition", path: "spec" }, "v1.CustomResourceDefinitionSpec");
  if (!spec) return;
  const at = (f: string) => ({ struct: "CustomResourceDefinitionSpec", path: `spec.${f}` });
  wire.string(spec.group, at("group"));
  wire.string(spec.scope, at("scope"));
  const names = wire.object(spec.names, at("names"), "v1.CustomResourceDefinitionNames");
  if (names) {
    for (const f of ["plural", "singular", "kind", "listKind"]) wire.string(names[f], { struct: "CustomResourceDefinitionNames", path: `spec.names.${f}` });
    for (const f of ["shortNames", "categories"]) wire.strings(names[f], { struct: "CustomResourceDefinitionNames", path: `spec.names.${f}` });
  }
  for (const v of wire.objectList(spec.versions, at("versions"), "v1.CustomResourceDefinitionVersion") ?? []) {
    const vat = (f: string) => ({ struct: "CustomResourceDefinitionVersion", path: `spec.versions.${f}` });
    wire.string(v.name, vat("name"));
    wire.bool(v.served, vat("served"));
    wire.bool(v.storage, vat("storage"));
    wire.object(v.schema, vat("schema"), "v1.CustomResourceValidation");
  }
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

function validateCRD(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = objectAt(obj, "spec");
  const names = objectAt(spec, "names");
  const group = str(spec.group);
  const plural = str(names.plural);

  const name = str(obj.metadata.name);
  if (name && name !== `${plural}.${group}`) errs.push(field.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'));

  if (!group) errs.push(field.required("spec.group"));
  else {
    const groupErrs = isDNS1123Subdomain(group);
    if (groupErrs.length) errs.push(field.invalid("spec.group", group, groupErrs.join(",")));
    else if (group.split(".").length < 2) errs.push(field.invalid("spec.group", group, "should be a domain with at least one dot"));
  }

  const scope = str(spec.scope);
  if (!scope) errs.push(field.required("spec.scope"));
  else if (scope !== "Cluster" && scope !== "Namespaced") errs.push(field.notSupported("spec.scope", scope, ["Cluster", "Namespaced"]));

  const versions = objects(spec.versions);
  const seen = new Set<string>();
  let unique = true;
  let storageCount = 0;
  versions.forEach((v, i) => {
    const vname = str(v.name);
    if (v.storage === true) storageCount++;
    if (seen.has(vname)) unique = false;
    seen.add(vname);
    const nameErrs = isDNS1035Label(vname);
    if (nameErrs.length) errs.push(field.invalid(`spec.versions[${i}].name`, vname, nameErrs.join(",")));
    if (!isObject(objectAt(v, "schema").openAPIV3Schema)) errs.push(field.required(`spec.versions[${i}].schema.openAPIV3Schema`, "schemas are required"));
  });
  const shownVersions = `[]apiextensions.CustomResourceDefinitionVersion{${versions.map((v) => `{Name:${JSON.stringify(str(v.name))}}`).join(", ")}}`;
  if (!unique) errs.push({ ...field.invalid("spec.versions", versions, "must contain unique version names"), goValue: shownVersions });
  if (storageCount !== 1) errs.push({ ...field.invalid("spec.versions", versions, "must have exactly one version marked as storage version"), goValue: shownVersions });
  if (versions.length === 0) errs.push(field.required("spec.versions", "must have at least one version"));

  const dns1035 = (path: string, value: string, prefix = "") => {
    const e = isDNS1035Label(value);
    if (e.length) errs.push(field.invalid(path, value, prefix + e.join(",")));
  };
  if (plural) dns1035("spec.names.plural", plural);
  if (str(names.singular)) dns1035("spec.names.singular", str(names.singular));
  const kind = str(names.kind);
  const listKind = str(names.listKind);
  if (kind) {
    const e = isDNS1035Label(kind.toLowerCase());
    if (e.length) errs.push(field.invalid("spec.names.kind", kind, `may have mixed case, but should otherwise match: ${e.join(",")}`));
  }
  if (listKind) {
    const e = isDNS1035Label(listKind.toLowerCase());
    if (e.length) errs.push(field.invalid("spec.names.listKind", listKind, `may have mixed case, but should otherwise match: ${e.join(",")}`));
  }
  strings(names.shortNames).forEach((s, i) => {
    dns1035(`spec.names.shortNames[${i}]`, s);
  });
  if (kind && kind === listKind) errs.push(field.invalid("spec.names.listKind", listKind, "kind and listKind may not be the same"));
  strings(names.categories).forEach((c, i) => {
    dns1035(`spec.names.categories[${i}]`, c);
  });
  if (!plural) errs.push(field.required("spec.names.plural"));
  if (!str(names.singular)) errs.push(field.required("spec.names.singular"));
  if (!kind) errs.push(field.required("spec.names.kind"));
  if (!listKind) errs.push(field.required("spec.names.listKind"));
  return errs;
}

/** ValidateCustomResourceDefinitionStoredVersions: the storage version is recorded, and nothing else unknown. */
function validateStoredVersions(obj: KObject): FieldError[] {
  const stored = strings(objectAt(obj, "status").storedVersions);
  if (stored.length === 0) {
    return [{ ...field.invalid("status.storedVersions", stored, "must have at least one stored version"), goValue: goStringSlice("string", stored) }];
  }
  const errs: FieldError[] = [];
  const unmatched = new Map(stored.map((v, i) => [v, i]));
  for (const v of objects(objectAt(obj, "spec").versions)) {
    const name = str(v.name);
    if (v.storage === true && !stored.includes(name)) {
      errs.push(field.invalid("status.storedVersions", name, `must have the storage version ${name}`));
    }
    unmatched.delete(name);
  }
  for (const [v, i] of unmatched) errs.push(field.invalid(`status.storedVersions[${i}]`, v, "must appear in spec.versions"));
  return errs;
}

function isEstablished(obj: KObject): boolean {
  return objects(objectAt(obj, "status").conditions).some((c) => c.type === "Established" && c.status === "True");
}

function validateCRDUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validateCRD(obj);
  const now = objectAt(obj, "spec");
  const before = objectAt(old, "spec");
  const immutable = (path: string, a: string, b: string) => {
    if (a !== b) errs.push(field.invalid(path, a, "field is immutable"));
  };
  // Once served, scope and kind shape stored data and clients; group and plural are in the name.
  if (isEstablished(old)) {
    immutable("spec.scope", str(now.scope), str(before.scope));
    immutable("spec.names.kind", str(objectAt(now, "names").kind), str(objectAt(before, "names").kind));
  }
  immutable("spec.group", str(now.group), str(before.group));
  immutable("spec.names.plural", str(objectAt(now, "names").plural), str(objectAt(before, "names").plural));
  return errs;
}

export function apiextensionsResources(): ResourceDef[] {
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
        validate: (obj) => [...validateCRD(obj), ...validateStoredVersions(obj)],
        validateUpdate: (obj, old) => [...validateCRDUpdate(obj, old), ...validateStoredVersions(obj)],
        validateStatusUpdate: (obj) => validateStoredVersions(obj),
      },
    }),
  ];
}

