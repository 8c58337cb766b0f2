// The CustomResourceDefinition the CRD puller emits for one resource of a cluster: its discovery
// facts (names, scope), one version (the cluster's preferred one) with a schema, subresources and
// printer columns. Also the clean-up of a CRD pulled as it is (from another kcp or a cluster where
// the resource is itself a CRD): server-written metadata and status removed, only the pulled
// version kept.

import { isObject } from "../../machinery/object.ts";
import { CORE_GROUP_NAME } from "../crd/kube-groups.ts";
import type { JSONSchemaProps } from "../crd/schema-types.ts";

type Json = Record<string, unknown>;

/** The annotation kube requires on CRDs in its protected groups (*.k8s.io, *.kubernetes.io). */
export const API_APPROVED_ANNOTATION = "api-approved.kubernetes.io";
/** Its value on pulled CRDs: the API was reviewed upstream; the URL the kcp prototype used. */
export const API_APPROVED_VALUE = "https://github.com/kcp-dev/kubernetes/pull/4";

/** What discovery says about a resource. */
export interface PulledResourceNames {
  group: string;
  version: string;
  plural: string;
  /** Discovery's singularName; empty or absent on older clusters (then the kind, lower-cased). */
  singular?: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
}

export interface PulledVersion {
  schema: JSONSchemaProps;
  subresources?: Json;
  columns?: Json[];
}

/** `<plural>.<group>`, `<plural>.core` for the core group (as kcp's core-group CRDs are named). */
export function pulledCRDName(group: string, plural: string): string {
  return `${plural}.${group || CORE_GROUP_NAME}`;
}

/** Groups whose CRDs need the API-approval annotation (kube's protected groups). */
export function isProtectedGroup(group: string): boolean {
  return (
    group === "k8s.io" || group === "kubernetes.io" || group.endsWith(".k8s.io") || group.endsWith(".kubernetes.io")
  );
}

/** An apiextensions.k8s.io/v1 CRD with one served, stored version. */
export function buildPulledCRD(r: PulledResourceNames, v: PulledVersion): Json {
  const names: Json = {
    plural: r.plural,
    singular: r.singular || r.kind.toLowerCase(),
    kind: r.kind,
    listKind: `${r.kind}List`,
  };
  if (r.shortNames?.length) names.shortNames = [...r.shortNames];
  if (r.categories?.length) names.categories = [...r.categories];
  const version: Json = { name: r.version, served: true, storage: true, schema: { openAPIV3Schema: v.schema } };
  if (v.subresources && Object.keys(v.subresources).length > 0) version.subresources = v.subresources;
  if (v.columns?.length) version.additionalPrinterColumns = v.columns;
  const metadata: Json = { name: pulledCRDName(r.group, r.plural) };
  if (isProtectedGroup(r.group)) metadata.annotations = { [API_APPROVED_ANNOTATION]: API_APPROVED_VALUE };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata,
    spec: { group: r.group, names, scope: r.namespaced ? "Namespaced" : "Cluster", versions: [version] },
  };
}

/** Annotations a server or kubectl writes, not part of what the CRD says. */
const DROPPED_ANNOTATIONS = new Set(["kubectl.kubernetes.io/last-applied-configuration"]);

/**
 * A cluster's own CRD (apiextensions.k8s.io/v1) as the puller returns it: name, labels and
 * annotations kept (kubectl's last-applied dropped), every server-written field (uid,
 * resourceVersion, generation, creationTimestamp, managedFields, finalizers, owner references,
 * status) dropped, and only version `version` kept, served and stored; conversion is then None.
 * `schema` replaces that version's schema when given (a non-structural CRD gets a permissive one).
 */
export function cleanPulledCRD(crd: Json, version: string, schema?: JSONSchemaProps): Json {
  const meta = isObject(crd.metadata) ? crd.metadata : {};
  const spec = isObject(crd.spec) ? crd.spec : {};
  const metadata: Json = { name: meta.name };
  if (isObject(meta.labels) && Object.keys(meta.labels).length > 0) metadata.labels = { ...meta.labels };
  if (isObject(meta.annotations)) {
    const kept = Object.entries(meta.annotations).filter(([k]) => !DROPPED_ANNOTATIONS.has(k));
    if (kept.length > 0) metadata.annotations = Object.fromEntries(kept);
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const found = versions.find((v) => v.name === version) ?? {};
  const v: Json = { ...found, name: version, served: true, storage: true };
  delete v.deprecated;
  delete v.deprecationWarning;
  if (schema) v.schema = { openAPIV3Schema: schema };
  const outSpec: Json = {};
  for (const [k, x] of Object.entries(spec)) {
    if (k === "versions" || k === "conversion") continue;
    // Keys come from the cluster: `outSpec["__proto__"] = x` would make x the spec's prototype,
    // and kcp's checks would then read fields the printed CRD does not have.
    Object.defineProperty(outSpec, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  outSpec.versions = [v];
  return { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata, spec: outSpec };
}
