// Validation of metadata shared by every kind, as k8s.io/apimachinery/pkg/api/validation's
// ValidateObjectMeta and ValidateObjectMetaUpdate do it (Kubernetes 1.32 wording).

import { field, type FieldError } from "../status.ts";
import { isObject, type ObjectMeta } from "../object.ts";
import { parseAPIVersion } from "../api-version.ts";
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPathSegmentPrefix,
} from "./names.ts";

export type NameValidation = "subdomain" | "label" | "path-segment";

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameValidation: NameValidation;
  /** Default true. False for kinds whose objects need no name (e.g. the review APIs). */
  requireName?: boolean;
}

/** kube-apiserver's limit on the summed length of annotation keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

const FINALIZER_ORPHAN = "orphan";
const FINALIZER_FOREGROUND = "foregroundDeletion";

type NameFn = (name: string, prefix: boolean) => string[];

/**
 * kube's name functions. `prefix` is true for generateName, where a trailing '-' is fine because a
 * random suffix follows (kube masks the end before checking).
 */
export function nameValidator(kind: NameValidation): NameFn {
  switch (kind) {
    case "label":
      return (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
    case "path-segment":
      return (name, prefix) => (prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name));
    default:
      return (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
  }
}

function maskTrailingDash(name: string): string {
  // Same arithmetic as apimachinery (drops two characters, adds one) so the same prefixes pass.
  return name.endsWith("-") ? `${name.slice(0, Math.max(0, name.length - 2))}a` : name;
}

/** Validate the metadata of an object being created (or, with validateObjectMetaUpdate, updated). */
export function validateObjectMeta(meta: ObjectMeta, opts: ObjectMetaOptions): FieldError[] {
  const errs: FieldError[] = [];
  const nameFn = nameValidator(opts.nameValidation);

  if (meta.generateName) {
    for (const msg of nameFn(meta.generateName, true))
      errs.push(field.invalid("metadata.generateName", meta.generateName, msg));
  }
  if (!meta.name) {
    // A caller that has not generated the name yet still holds a valid request.
    if (opts.requireName !== false && !meta.generateName)
      errs.push(field.required("metadata.name", "name or generateName is required"));
  } else {
    for (const msg of nameFn(meta.name, false)) errs.push(field.invalid("metadata.name", meta.name, msg));
  }

  if (opts.namespaced) {
    if (!meta.namespace) errs.push(field.required("metadata.namespace"));
    else
      for (const msg of isDNS1123Label(meta.namespace))
        errs.push(field.invalid("metadata.namespace", meta.namespace, msg));
  } else if (meta.namespace) {
    errs.push(field.forbidden("metadata.namespace", "not allowed on this type"));
  }

  if (typeof meta.generation === "number" && meta.generation < 0) {
    errs.push(field.invalid("metadata.generation", meta.generation, "must be greater than or equal to 0"));
  }
  errs.push(...validateLabels(meta.labels, "metadata.labels"));
  errs.push(...validateAnnotations(meta.annotations, "metadata.annotations"));
  errs.push(...validateOwnerReferences(meta.ownerReferences, "metadata.ownerReferences"));
  errs.push(...validateFinalizers(meta.finalizers, "metadata.finalizers"));
  errs.push(...validateManagedFields(meta.managedFields, "metadata.managedFields"));
  return errs;
}

/**
 * The update-only checks of ValidateObjectMetaUpdate. As kube does, the caller runs validateObjectMeta
 * on the new metadata as well. The new metadata must carry a resourceVersion: for an unconditional
 * update, set it to the stored one first (kube's store does the same).
 */
export function validateObjectMetaUpdate(newMeta: ObjectMeta, oldMeta: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const old = new Set(oldMeta.finalizers ?? []);
    const added = [...new Set(stringsOf(newMeta.finalizers).filter((f) => !old.has(f)))].sort();
    if (added.length) {
      errs.push(
        field.forbidden(
          "metadata.finalizers",
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`,
        ),
      );
    }
  }
  if (!newMeta.resourceVersion)
    errs.push(
      field.invalid("metadata.resourceVersion", newMeta.resourceVersion ?? "", "must be specified for an update"),
    );
  const newGen = typeof newMeta.generation === "number" ? newMeta.generation : 0;
  const oldGen = typeof oldMeta.generation === "number" ? oldMeta.generation : 0;
  if (newGen < oldGen) errs.push(field.invalid("metadata.generation", newGen, "must not be decremented"));

  const immutable: (keyof ObjectMeta & string)[] = [
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
  ];
  for (const key of immutable) {
    const nv = newMeta[key];
    const ov = oldMeta[key];
    if (!sameScalar(nv, ov)) errs.push(field.invalid(`metadata.${key}`, nv ?? null, "field is immutable"));
  }
  return errs;
}

/** Unset and the zero value are the same thing in Go's structs. */
function sameScalar(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : v);
  return norm(a) === norm(b);
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (!isStringMap(labels)) return [field.typeInvalid(path, labels, "must be a map of string keys to string values")];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(field.invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(field.invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  if (!isStringMap(annotations))
    return [field.typeInvalid(path, annotations, "must be a map of string keys to string values")];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Annotation keys are qualified names, except that case does not matter.
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, msg));
    total += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8");
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(field.tooLong(path, "", TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (finalizers === undefined || finalizers === null) return errs;
  if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== "string")) {
    return [field.typeInvalid(path, finalizers, "must be a list of strings")];
  }
  for (const f of finalizers as string[]) for (const msg of isQualifiedName(f)) errs.push(field.invalid(path, f, msg));
  if (finalizers.includes(FINALIZER_ORPHAN) && finalizers.includes(FINALIZER_FOREGROUND)) {
    errs.push(
      field.invalid(path, finalizers, `finalizer ${FINALIZER_ORPHAN} and ${FINALIZER_FOREGROUND} cannot be both set`),
    );
  }
  return errs;
}

interface OwnerReference {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
  uid?: unknown;
  controller?: unknown;
  blockOwnerDeletion?: unknown;
}

export function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (refs === undefined || refs === null) return errs;
  if (!Array.isArray(refs)) return [field.typeInvalid(path, refs, "must be a list of owner references")];
  let firstController = "";
  for (const raw of refs) {
    if (!isObject(raw)) {
      errs.push(field.typeInvalid(path, raw, "must be an owner reference object"));
      continue;
    }
    const ref = raw as OwnerReference;
    const apiVersion = str(ref.apiVersion);
    const kind = str(ref.kind);
    const { group, version } = parseAPIVersion(apiVersion);
    // kube reports every reference under the list's path, without an index.
    if (!version) errs.push(field.invalid(`${path}.apiVersion`, apiVersion, "version must not be empty"));
    if (!kind) errs.push(field.invalid(`${path}.kind`, kind, "must not be empty"));
    if (!str(ref.name)) errs.push(field.invalid(`${path}.name`, str(ref.name), "must not be empty"));
    if (!str(ref.uid)) errs.push(field.invalid(`${path}.uid`, str(ref.uid), "must not be empty"));
    if (group === "" && version === "v1" && kind === "Event") {
      errs.push({
        ...field.invalid(path, ref, "/v1, Kind=Event is disallowed from being an owner"),
        goValue: goOwnerReference(ref),
      });
    }
    if (ref.controller === true) {
      const current = `${kind}/${str(ref.name)}`;
      if (firstController) {
        errs.push({
          ...field.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
          goValue: `[]v1.OwnerReference{${refs.map((r) => goOwnerReference(isObject(r) ? r : {})).join(", ")}}`,
        });
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

export function validateManagedFields(entries: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (entries === undefined || entries === null) return errs;
  if (!Array.isArray(entries)) return [field.typeInvalid(path, entries, "must be a list of managed fields entries")];
  entries.forEach((raw, i) => {
    const p = `${path}[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      errs.push(field.typeInvalid(p, raw, "must be a managed fields entry object"));
      return;
    }
    const e = raw as Record<string, unknown>;
    const op = str(e.operation);
    if (op !== "Apply" && op !== "Update")
      errs.push(field.invalid(`${p}.operation`, op, "must be `Apply` or `Update`"));
    const ft = str(e.fieldsType);
    if (ft && ft !== "FieldsV1") errs.push(field.invalid(`${p}.fieldsType`, ft, "must be `FieldsV1`"));
    const manager = str(e.manager);
    if (Buffer.byteLength(manager, "utf8") > 128) errs.push(field.tooLong(`${p}.manager`, "", 128));
    let pos = 0;
    for (const ch of manager) {
      if (!isPrintable(ch)) {
        errs.push(field.invalid(`${p}.manager`, manager, `invalid character ${goRuneU(ch)} (at position ${pos})`));
      }
      pos += Buffer.byteLength(ch, "utf8");
    }
    const sub = str(e.subresource);
    if (Buffer.byteLength(sub, "utf8") > 256) errs.push(field.tooLong(`${p}.subresource`, "", 256));
  });
  return errs;
}

/**
 * Go's %#v of a metav1.OwnerReference, as kube's messages print it. Go prints a set *bool as its
 * address, which differs on every run; a fixed stand-in keeps the shape.
 */
function goOwnerReference(ref: OwnerReference): string {
  const ptr = (v: unknown) => (typeof v === "boolean" ? "(*bool)(0xc000000000)" : "(*bool)(nil)");
  const fields = [
    `APIVersion:${JSON.stringify(str(ref.apiVersion))}`,
    `Kind:${JSON.stringify(str(ref.kind))}`,
    `Name:${JSON.stringify(str(ref.name))}`,
    `UID:${JSON.stringify(str(ref.uid))}`,
    `Controller:${ptr(ref.controller)}`,
    `BlockOwnerDeletion:${ptr(ref.blockOwnerDeletion)}`,
  ];
  return `v1.OwnerReference{${fields.join(", ")}}`;
}

function isStringMap(v: unknown): v is Record<string, string> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  return Object.values(v).every((x) => typeof x === "string");
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Go's %#v of a []string, as kube's finalizer message prints it. */
function goStringSlice(items: string[]): string {
  return `[]string{${items.map((s) => JSON.stringify(s)).join(", ")}}`;
}

/** Go's unicode.IsPrint, close enough: no control or separator characters except the ASCII space. */
function isPrintable(ch: string): boolean {
  if (ch === " ") return true;
  return !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zs}\p{Zl}\p{Zp}]/u.test(ch);
}

/** Go's %#U: U+0007 or U+00E9 'é'. */
function goRuneU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return isPrintable(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}
