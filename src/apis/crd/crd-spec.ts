// Typed, defensive access to an apiextensions.k8s.io/v1 CustomResourceDefinition object: its names,
// scope and versions with their schema, subresources and printer columns.

import type { KObject } from "../types.ts";
import { isSchema, type JSONSchemaProps } from "./schema-types.ts";
import { type JsonObject, obj, objects, str, strings } from "../../machinery/json-access.ts";

export interface CRDNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumnSpec {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CRDVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning?: string;
  schema?: JSONSchemaProps;
  status: boolean;
  scale?: ScaleSubresource;
  printerColumns: PrinterColumnSpec[];
  selectableFields: string[];
}

export interface CRDSpec {
  group: string;
  names: CRDNames;
  namespaced: boolean;
  versions: CRDVersion[];
  conversionStrategy: string;
}

type Json = JsonObject;

export function namesOf(v: unknown): CRDNames {
  const n = obj(v);
  return {
    plural: str(n.plural),
    singular: str(n.singular),
    kind: str(n.kind),
    listKind: str(n.listKind),
    shortNames: strings(n.shortNames),
    categories: strings(n.categories),
  };
}

function versionOf(v: Json): CRDVersion {
  const sub = obj(v.subresources);
  const scale = v.subresources && obj(v.subresources).scale !== undefined ? obj(sub.scale) : undefined;
  const schema = obj(v.schema).openAPIV3Schema;
  return {
    name: str(v.name),
    served: v.served === true,
    storage: v.storage === true,
    deprecated: v.deprecated === true,
    deprecationWarning: typeof v.deprecationWarning === "string" ? v.deprecationWarning : undefined,
    schema: isSchema(schema) ? schema : undefined,
    status: sub.status !== undefined && sub.status !== null,
    scale: scale
      ? {
          specReplicasPath: str(scale.specReplicasPath),
          statusReplicasPath: str(scale.statusReplicasPath),
          labelSelectorPath:
            typeof scale.labelSelectorPath === "string" && scale.labelSelectorPath !== ""
              ? scale.labelSelectorPath
              : undefined,
        }
      : undefined,
    printerColumns: objects(v.additionalPrinterColumns).map((c) => ({
      name: str(c.name),
      type: str(c.type),
      format: typeof c.format === "string" ? c.format : undefined,
      description: typeof c.description === "string" ? c.description : undefined,
      priority: typeof c.priority === "number" ? c.priority : undefined,
      jsonPath: str(c.jsonPath),
    })),
    selectableFields: objects(v.selectableFields).map((f) => str(f.jsonPath)),
  };
}

export function crdSpec(crd: KObject): CRDSpec {
  const spec = obj(crd.spec);
  return {
    group: str(spec.group),
    names: namesOf(spec.names),
    namespaced: spec.scope !== "Cluster",
    versions: objects(spec.versions).map(versionOf),
    conversionStrategy: str(obj(spec.conversion).strategy) || "None",
  };
}

export interface CRDCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function conditionsOf(crd: KObject): CRDCondition[] {
  return objects(obj(crd.status).conditions).map((c) => ({
    type: str(c.type),
    status: str(c.status),
    lastTransitionTime: typeof c.lastTransitionTime === "string" ? c.lastTransitionTime : undefined,
    reason: typeof c.reason === "string" ? c.reason : undefined,
    message: typeof c.message === "string" ? c.message : undefined,
  }));
}

export function isConditionTrue(crd: KObject, type: string): boolean {
  return conditionsOf(crd).some((c) => c.type === type && c.status === "True");
}

export function acceptedNamesOf(crd: KObject): CRDNames {
  return namesOf(obj(crd.status).acceptedNames);
}

/** The finalizer that keeps a CRD until its custom resources are gone. */
export const CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";
