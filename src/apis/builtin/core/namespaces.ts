// core/v1 Namespace: cluster-scoped, named by a DNS label, born Active with the `kubernetes`
// finalizer, labelled with its own name. Its spec changes only through /finalize and its status
// only through /status, as kube-apiserver's namespace strategies have it.

import { errors, field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, ResourceDef } from "../../types.ts";
import { isQualifiedName } from "../../../machinery/validation/names.ts";
import {
  builtin,
  ensureObject,
  fieldValue,
  keepAllButStatus,
  keepStatus,
  objectAt,
  STORED_VERBS_NO_COLLECTION,
  statusSubresource,
  str,
  strings,
} from "../strategy-helpers.ts";
import { WireDecoder } from "../wire-decode.ts";

/** The finalizer the namespace controller removes once the namespace is empty. */
export const NAMESPACE_FINALIZER = "kubernetes";
/** The label kube sets on every namespace to its own name (selectable by namespaceSelector). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Namespaces that kube-apiserver refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

const STANDARD_FINALIZERS = new Set([NAMESPACE_FINALIZER, "orphan", "foregroundDeletion"]);
const wire = new WireDecoder("Namespace", "v1");

function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "Namespace", path: "spec" }, "v1.NamespaceSpec");
  if (spec) wire.strings(spec.finalizers, { struct: "NamespaceSpec", path: "spec.finalizers" }, "v1.FinalizerName");
  const status = wire.object(obj.status, { struct: "Namespace", path: "status" }, "v1.NamespaceStatus");
  if (status) wire.string(status.phase, { struct: "NamespaceStatus", path: "status.phase" });
}

/** kube's Canonicalize: the name label always matches the name, whatever the client sent. */
function labelWithName(obj: KObject): void {
  const name = obj.metadata.name;
  if (!name) return;
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

function validateFinalizerName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (!name.includes("/") && !STANDARD_FINALIZERS.has(name)) {
    errs.push(field.invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"));
  }
  return errs;
}

function validateNamespace(obj: KObject): FieldError[] {
  // kube reports every spec finalizer under the list's path, without an index.
  return strings(objectAt(obj, "spec").finalizers).flatMap((f) => validateFinalizerName(f, "spec.finalizers"));
}

/** The finalize subresource: spec (finalizers) and metadata from the request, status kept. */
export function prepareNamespaceFinalize(obj: KObject, old: KObject): void {
  decode(obj);
  keepStatus(obj, old);
  labelWithName(obj);
}

/** Validation of an update through /finalize: each finalizer, this time with its index. */
export function validateNamespaceFinalize(obj: KObject): FieldError[] {
  return strings(objectAt(obj, "spec").finalizers).flatMap((f, i) => validateFinalizerName(f, `spec.finalizers[${i}]`));
}

export function namespaces(): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    shortNames: ["ns"],
    namespaced: false,
    verbs: STORED_VERBS_NO_COLLECTION,
    subresources: [
      { name: "finalize", verbs: ["update"], prepare: prepareNamespaceFinalize, validate: validateNamespaceFinalize },
      statusSubresource(),
    ],
    selectableFields: {
      "status.phase": (o) => fieldValue(o, "status", "phase"),
      // A field kube keeps for backward compatibility: `name` as well as `metadata.name`.
      name: (o) => str(o.metadata.name),
    },
    strategy: {
      hasStatus: true,
      tracksGeneration: false,
      nameValidation: "label",
      prepareForCreate(obj) {
        decode(obj);
        obj.status = { phase: "Active" };
        const spec = ensureObject(obj, "spec");
        const finalizers = strings(spec.finalizers);
        if (!finalizers.includes(NAMESPACE_FINALIZER)) finalizers.push(NAMESPACE_FINALIZER);
        spec.finalizers = finalizers;
        labelWithName(obj);
      },
      prepareForUpdate(obj, old) {
        decode(obj);
        // Finalizers change only through /finalize; the spec holds nothing else.
        if (old.spec === undefined) delete obj.spec;
        else obj.spec = structuredClone(old.spec);
        keepStatus(obj, old);
        labelWithName(obj);
      },
      prepareForStatusUpdate(obj, old) {
        decode(obj);
        keepAllButStatus(obj, old);
        labelWithName(obj);
      },
      // Deletion, as kube's namespace registry: the immortal namespaces are refused; the others wait
      // for spec.finalizers (the namespace controller empties them) as well as metadata.finalizers,
      // and are marked with the Terminating phase but no grace period.
      beforeDelete(name) {
        if (IMMORTAL_NAMESPACES.has(name)) {
          throw errors.forbidden(
            `namespaces "${name}" is forbidden: this namespace may not be deleted`,
            { group: "", resource: "namespaces" },
            name,
          );
        }
      },
      pendingFinalizers: (obj) => ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0,
      noDeletionGracePeriod: true,
      prepareForDelete(obj) {
        obj.status = { ...((obj.status as object) ?? {}), phase: "Terminating" };
      },
      validate: (obj) => validateNamespace(obj),
      validateUpdate: (obj) => validateNamespace(obj),
      validateStatusUpdate(obj) {
        const phase = str(objectAt(obj, "status").phase);
        // "Phase" capitalised: kube's field path says so.
        if (!obj.metadata.deletionTimestamp) {
          if (phase !== "Active")
            return [field.invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty")];
        } else if (phase !== "Terminating") {
          return [
            field.invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"),
          ];
        }
        return [];
      },
    },
  });
}
