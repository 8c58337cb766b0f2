// The CRD a negotiated resource is published as, `<plural>.<group|core>`, one version per
// negotiated resource of that group and resource; the other way round, the negotiated spec a
// user's CRD dictates; and what the CRD's state says about publishing. Pure functions over JSON.

import {
  APIRESOURCE_API_VERSION,
  type CommonAPIResourceSpec,
  crdNameFor,
  NEGOTIATED_KIND,
  type NegotiatedAPIResourceSpec,
  normalizeGroup,
} from "../../apis/builtin/apiresource.ts";
import type { KObject } from "../../apis/types.ts";
import { compareKubeAwareVersions } from "../../machinery/kube-aware-version.ts";
import { isObject } from "../../machinery/object.ts";

type Json = Record<string, unknown>;

/** The value kube's protected groups (*.k8s.io, *.kubernetes.io) need in `api-approved.kubernetes.io` (the seed's). */
export const API_APPROVAL_ANNOTATION = "api-approved.kubernetes.io";
export const API_APPROVAL_VALUE = "https://github.com/kcp-dev/kubernetes/pull/4";

function isProtectedGroup(group: string): boolean {
  return (
    group === "k8s.io" || group === "kubernetes.io" || group.endsWith(".k8s.io") || group.endsWith(".kubernetes.io")
  );
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

function ownerRefsOf(crd: KObject): OwnerRef[] {
  const refs = crd.metadata.ownerReferences;
  return Array.isArray(refs) ? (refs.filter(isObject) as unknown as OwnerRef[]) : [];
}

function isNegotiatedRef(r: OwnerRef): boolean {
  return r.apiVersion === APIRESOURCE_API_VERSION && r.kind === NEGOTIATED_KIND;
}

/** A CRD no negotiated resource owns: a user made it, and its schema is enforced. */
export function isManualCRD(crd: KObject): boolean {
  return !ownerRefsOf(crd).some(isNegotiatedRef);
}

/** The owner reference a negotiated resource named `name` has on the CRD, if any. */
export function negotiatedRefOf(crd: KObject, name: string): OwnerRef | undefined {
  return ownerRefsOf(crd).find((r) => isNegotiatedRef(r) && r.name === name);
}

/** The CRD's spec.versions entries (objects only). */
export function versionsOf(crd: KObject): Json[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  return Array.isArray(spec.versions) ? (spec.versions.filter(isObject) as Json[]) : [];
}

/** The CRD's status.storedVersions: the versions objects may still be stored in. */
export function storedVersionsOf(crd: KObject): string[] {
  const status = isObject(crd.status) ? crd.status : {};
  return Array.isArray(status.storedVersions)
    ? status.storedVersions.filter((v): v is string => typeof v === "string")
    : [];
}

export function crdVersionNames(crd: KObject): string[] {
  return versionsOf(crd)
    .map((v) => v.name)
    .filter((n): n is string => typeof n === "string");
}

export function crdGroupAndPlural(crd: KObject): { group: string; plural: string } {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  return { group: typeof spec.group === "string" ? spec.group : "", plural: String(names.plural ?? "") };
}

/** The CRD version serving a negotiated spec (8.5 step 1); storage is decided when it joins the CRD. */
export function crdVersionFor(spec: CommonAPIResourceSpec): Json {
  const v: Json = {
    name: spec.groupVersion.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: structuredClone(spec.openAPIV3Schema) },
  };
  const subs = new Set((spec.subResources ?? []).map((s) => s.name));
  if (subs.size) {
    const out: Json = {};
    if (subs.has("status")) out.status = {};
    if (subs.has("scale")) {
      // The seed's fixed paths: an import says only that there is a scale subresource.
      out.scale = { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" };
    }
    v.subresources = out;
  }
  const columns = (spec.columnDefinitions ?? []).filter((c) => typeof c.jsonPath === "string" && c.jsonPath !== "");
  if (columns.length)
    v.additionalPrinterColumns = columns.map((c) => {
      const col: Json = { name: c.name, type: c.type, jsonPath: c.jsonPath };
      if (c.format) col.format = c.format;
      if (c.description) col.description = c.description;
      if (c.priority) col.priority = c.priority;
      return col;
    });
  return v;
}

function namesFor(spec: CommonAPIResourceSpec): Json {
  const names: Json = { plural: spec.plural, kind: spec.kind };
  if (spec.singular) names.singular = spec.singular;
  if (spec.listKind) names.listKind = spec.listKind;
  if (spec.shortNames?.length) names.shortNames = [...spec.shortNames];
  if (spec.categories?.length) names.categories = [...spec.categories];
  return names;
}

/** A new CRD holding one negotiated resource's version, owned by it (8.5 step 2). */
export function newCRDFor(nar: { name: string; uid: string }, spec: NegotiatedAPIResourceSpec): KObject {
  const group = normalizeGroup(spec.groupVersion.group);
  const metadata: KObject["metadata"] = {
    name: crdNameFor(spec.plural, group),
    ownerReferences: [
      { apiVersion: APIRESOURCE_API_VERSION, kind: NEGOTIATED_KIND, name: nar.name, uid: nar.uid, controller: true },
    ],
  };
  if (isProtectedGroup(group)) metadata.annotations = { [API_APPROVAL_ANNOTATION]: API_APPROVAL_VALUE };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata,
    spec: { group, scope: spec.scope, names: namesFor(spec), versions: [crdVersionFor(spec)] },
  };
}

/** One negotiated reference may be the controller: the first one. */
function settleControllerRef(refs: OwnerRef[]): OwnerRef[] {
  let seen = false;
  return refs.map((r) => {
    if (!isNegotiatedRef(r)) return r;
    const controller = !seen && !refs.some((x) => x !== r && !isNegotiatedRef(x) && x.controller === true);
    seen = true;
    const { controller: _c, ...rest } = r;
    return controller ? { ...rest, controller: true } : rest;
  });
}

/**
 * `crd` (a copy) with the negotiated resource's version in it and its owner reference (8.5 step 3):
 * a same-named version is replaced; the new version is the storage version unless another one is
 * newer in Kubernetes' version order (v1 > v1beta1 > v1alpha1), which then stays it.
 */
export function withNegotiatedVersion(
  crd: KObject,
  nar: { name: string; uid: string },
  spec: NegotiatedAPIResourceSpec,
): KObject {
  const out = structuredClone(crd);
  const cspec = out.spec as Json;
  const version = crdVersionFor(spec);
  const name = version.name as string;
  const others = versionsOf(out).filter((v) => v.name !== name);
  const newerOther = others.some((v) => compareKubeAwareVersions(String(v.name), name) < 0);
  if (newerOther && others.some((v) => v.storage === true)) version.storage = false;
  else for (const v of others) v.storage = false;
  const existing = versionsOf(out).findIndex((v) => v.name === name);
  const versions = versionsOf(out).map((v) => (v.name === name ? version : v));
  if (existing < 0) versions.push(version);
  cspec.versions = versions;
  // The names follow the negotiated resource while it is the CRD's only version.
  if (versions.length === 1) cspec.names = namesFor(spec);
  // The reference keeps its place: moving it to the end would hand the controller flag back and
  // forth between two negotiated resources, each rewriting the CRD after the other.
  const ref = { apiVersion: APIRESOURCE_API_VERSION, kind: NEGOTIATED_KIND, name: nar.name, uid: nar.uid };
  const refs = ownerRefsOf(out);
  const at = refs.findIndex((r) => isNegotiatedRef(r) && r.name === nar.name);
  if (at >= 0) refs[at] = ref;
  else refs.push(ref);
  out.metadata.ownerReferences = settleControllerRef(refs) as unknown as KObject["metadata"]["ownerReferences"];
  return out;
}

/**
 * `crd` (a copy) without `version` and the negotiated resource's reference (8.6), or undefined when
 * no version would remain (the CRD is to be deleted). When another version remains and the removed
 * one was the storage version, the newest remaining one becomes it.
 */
export function withoutNegotiatedVersion(crd: KObject, narName: string, version: string): KObject | undefined {
  const out = structuredClone(crd);
  const remaining = versionsOf(out).filter((v) => v.name !== version);
  if (remaining.length === 0) return undefined;
  if (!remaining.some((v) => v.storage === true)) {
    const newest = [...remaining].sort((a, b) => compareKubeAwareVersions(String(a.name), String(b.name)))[0];
    newest.storage = true;
  }
  (out.spec as Json).versions = remaining;
  const refs = ownerRefsOf(out).filter((r) => !(isNegotiatedRef(r) && r.name === narName));
  if (refs.length) out.metadata.ownerReferences = settleControllerRef(refs) as never;
  else delete out.metadata.ownerReferences;
  return out;
}

/** The common spec a user's CRD dictates for one of its versions (8.4 step 3), or undefined without it. */
export function enforcedSpecOf(crd: KObject, version: string): CommonAPIResourceSpec | undefined {
  const v = versionsOf(crd).find((x) => x.name === version);
  if (!v) return undefined;
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : undefined);
  const schemaHolder = isObject(v.schema) ? v.schema : {};
  // A CRD without a schema accepts anything: that is what it enforces.
  const schema = isObject(schemaHolder.openAPIV3Schema)
    ? structuredClone(schemaHolder.openAPIV3Schema)
    : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  const subs = isObject(v.subresources) ? v.subresources : {};
  const out: CommonAPIResourceSpec = {
    groupVersion: { group: str(spec.group) ?? "", version },
    scope: spec.scope === "Cluster" ? "Cluster" : "Namespaced",
    plural: str(names.plural) ?? "",
    kind: str(names.kind) ?? "",
    openAPIV3Schema: schema,
  };
  const singular = str(names.singular);
  if (singular) out.singular = singular;
  const listKind = str(names.listKind);
  if (listKind) out.listKind = listKind;
  const shortNames = list(names.shortNames);
  if (shortNames?.length) out.shortNames = shortNames;
  const categories = list(names.categories);
  if (categories?.length) out.categories = categories;
  const subResources = ["status", "scale"].filter((s) => Object.hasOwn(subs, s)).map((name) => ({ name }));
  if (subResources.length) out.subResources = subResources;
  const cols = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isObject) : [];
  if (cols.length)
    out.columnDefinitions = cols.map((c) => {
      const col: NonNullable<CommonAPIResourceSpec["columnDefinitions"]>[number] = {
        name: String(c.name ?? ""),
        type: String(c.type ?? ""),
        jsonPath: String(c.jsonPath ?? ""),
      };
      if (typeof c.format === "string" && c.format) col.format = c.format;
      if (typeof c.description === "string" && c.description) col.description = c.description;
      if (typeof c.priority === "number" && c.priority) col.priority = c.priority;
      return col;
    });
  return out;
}

export interface PublishingState {
  status: "True" | "False";
  reason: string;
  message: string;
}

function crdCondition(crd: KObject, type: string): Json | undefined {
  const status = isObject(crd.status) ? crd.status : {};
  const list = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
  return list.find((c) => c.type === type);
}

/**
 * Whether the CRD serves `version` (8.3): Established and NamesAccepted, structural, not
 * terminating, with the version served.
 */
export function publishingState(crd: KObject, version: string): PublishingState {
  const name = crd.metadata.name ?? "";
  const v = versionsOf(crd).find((x) => x.name === version);
  if (!v) return { status: "False", reason: "VersionNotServed", message: `the CRD ${name} has no version ${version}` };
  if (v.served === false)
    return { status: "False", reason: "VersionNotServed", message: `the CRD ${name} does not serve ${version}` };
  if (crd.metadata.deletionTimestamp)
    return { status: "False", reason: "Terminating", message: `the CRD ${name} is being deleted` };
  const established = crdCondition(crd, "Established");
  const accepted = crdCondition(crd, "NamesAccepted");
  const nonStructural = crdCondition(crd, "NonStructuralSchema");
  if (nonStructural?.status === "True")
    return { status: "False", reason: "NonStructuralSchema", message: String(nonStructural.message ?? "") };
  if (accepted?.status !== "True")
    return {
      status: "False",
      reason: "NamesNotAccepted",
      message: accepted?.message ? String(accepted.message) : `the names of the CRD ${name} are not accepted yet`,
    };
  if (established?.status !== "True")
    return { status: "False", reason: "NotEstablished", message: `the CRD ${name} is not established yet` };
  return { status: "True", reason: "Published", message: `served by the CRD ${name}` };
}
