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
