// tenancy.kcp.io/v1alpha1 LogicalCluster: one object per logical cluster, named after it, served in
// the `admin` logical cluster alone (registry.ts: admin-only kinds). The object is the cluster's
// marker (src/apis/logical-clusters.ts): it exists exactly while the cluster does. Deleting it marks
// it (finalizer, deletionTimestamp, phase Terminating); the deletion controller
// (src/controllers/logical-cluster-deletion.ts) removes the cluster's data, then the finalizer.
// Its status (phase, object counts, bytes in storage) is written by that controller.

import { field, type FieldError, errors } from "../../machinery/status.ts";
import { isObject } from "../../machinery/object.ts";
import { reportUnknownFields } from "../crd/unknown-fields.ts";
import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { keepAllButStatus, keepStatus, statusSubresource } from "./strategy-helpers.ts";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../capabilities.ts";

export const TENANCY_GROUP = "tenancy.kcp.io";
export const LOGICAL_CLUSTER_VERSION = "v1alpha1";
export const LOGICAL_CLUSTER_API_VERSION = `${TENANCY_GROUP}/${LOGICAL_CLUSTER_VERSION}`;
export const LOGICAL_CLUSTER_PLURAL = "logicalclusters";
export const LOGICAL_CLUSTER_KIND = "LogicalCluster";
/** Holds a deleted cluster's object until its data is gone. */
export const LOGICAL_CLUSTER_FINALIZER = "tenancy.kcp.io/logical-cluster";
/** The only user who may remove that finalizer: the deletion controller, once the data is gone. */
export const LOGICAL_CLUSTER_CONTROLLER_USER = "system:kcp:logical-cluster-controller";

export type LogicalClusterPhase = "Ready" | "Terminating";

export interface LogicalClusterStatus {
  phase?: LogicalClusterPhase;
  /** Objects stored in the cluster, in all (the cluster's own marker not counted). */
  objects?: number;
  /** Objects per resource (`configmaps`, `deployments.apps`), resources with none left out. */
  resources?: Record<string, number>;
  /** Bytes of keys and values the cluster's objects take in storage (the latest versions only). */
  storageBytes?: number;
  /** When the counts were taken: they are as fresh as this. */
  observedTime?: string;
  message?: string;
}

/** `admin`, and the `system-` names kcp keeps for itself, can never be deleted. */
export function isUndeletableCluster(name: string): boolean {
  return name === "admin" || name.startsWith("system-");
}

/** A logical cluster's name (`/clusters/<name>`): 2–80 lowercase alphanumerics and '-', alphanumeric at both ends. */
const NAME = /^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$/;

export function isLogicalClusterName(name: string): boolean {
  return NAME.test(name);
}

const SCHEMA: Record<string, unknown> = {
  type: "object",
  description: "LogicalCluster is a logical cluster of kcp; its name is the cluster's (/clusters/<name>).",
  properties: {
    status: {
      type: "object",
      description: "What the logical cluster controller last measured in storage.",
      properties: {
        phase: { type: "string", enum: ["Ready", "Terminating"], description: "Terminating once deleted." },
        objects: { type: "integer", description: "Objects stored in the cluster." },
        resources: {
          type: "object",
          additionalProperties: { type: "integer" },
          description: "Objects per resource (resource.group).",
        },
        storageBytes: { type: "integer", description: "Bytes of keys and values in storage (latest versions)." },
        observedTime: { type: "string", format: "date-time", description: "When the counts were taken." },
        message: { type: "string", description: "What deletion is waiting for, for people." },
      },
    },
  },
};

const TOP_FIELDS = new Set(["apiVersion", "kind", "metadata", "status"]);
const STATUS_FIELDS = new Set(["phase", "objects", "resources", "storageBytes", "observedTime", "message"]);

/** Fields the schema does not declare are dropped, as a structural schema prunes them. */
function prune(obj: KObject, ctx: RequestContext): void {
  const unknown: string[] = [];
  for (const k of Object.keys(obj)) {
    if (!TOP_FIELDS.has(k)) {
      unknown.push(k);
      delete obj[k];
    }
  }
  if (isObject(obj.status)) {
    for (const k of Object.keys(obj.status)) {
      if (!STATUS_FIELDS.has(k)) {
        unknown.push(`status.${k}`);
        delete obj.status[k];
      }
    }
  }
  reportUnknownFields(LOGICAL_CLUSTER_KIND, LOGICAL_CLUSTER_VERSION, ctx, unknown, []);
}

function validateName(obj: KObject): FieldError[] {
  const name = obj.metadata.name ?? "";
  if (name === "" || isLogicalClusterName(name)) return [];
  return [
    field.invalid(
      "metadata.name",
      name,
      "a logical cluster name has 2 to 80 lowercase letters, digits or '-', and starts and ends with a letter or digit",
    ),
  ];
}

/**
 * The finalizer goes only when the data has gone: removed by anyone else, the name would be free
 * while the old cluster's objects are still stored, and a new cluster of that name would see them.
 */
function validateFinalizer(obj: KObject, old: KObject, ctx: RequestContext): FieldError[] {
  const had = old.metadata.finalizers?.includes(LOGICAL_CLUSTER_FINALIZER) ?? false;
  const has = obj.metadata.finalizers?.includes(LOGICAL_CLUSTER_FINALIZER) ?? false;
  if (!had || has || ctx.user.username === LOGICAL_CLUSTER_CONTROLLER_USER) return [];
  return [
    field.forbidden(
      "metadata.finalizers",
      `${LOGICAL_CLUSTER_FINALIZER} is removed by kcp once the logical cluster's data is deleted`,
    ),
  ];
}

function validateStatus(obj: KObject): FieldError[] {
  const s = obj.status;
  if (s === undefined || s === null) return [];
  if (!isObject(s)) return [field.typeInvalid("status", s, "must be an object")];
  const errs: FieldError[] = [];
  if (s.phase !== undefined && s.phase !== "Ready" && s.phase !== "Terminating")
    errs.push(field.notSupported("status.phase", s.phase, ["Ready", "Terminating"]));
  for (const k of ["objects", "storageBytes"]) {
    const v = s[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0))
      errs.push(field.invalid(`status.${k}`, v, "must be a non-negative integer"));
  }
  return errs;
}

export function logicalClusterResources(): ResourceDef[] {
  return [
    {
      group: TENANCY_GROUP,
      version: LOGICAL_CLUSTER_VERSION,
      plural: LOGICAL_CLUSTER_PLURAL,
      singular: "logicalcluster",
      kind: LOGICAL_CLUSTER_KIND,
      listKind: `${LOGICAL_CLUSTER_KIND}List`,
      shortNames: ["lc"],
      categories: ["kcp"],
      namespaced: false,
      // No deletecollection: one request must not empty every tenant.
      verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      subresources: [statusSubresource()],
      mode: "stored",
      source: "builtin",
      capabilities: CUSTOM_RESOURCE_CAPABILITIES,
      openAPISchema: SCHEMA,
      printerColumns: [
        { name: "Phase", type: "string", jsonPath: ".status.phase" },
        { name: "Objects", type: "integer", jsonPath: ".status.objects" },
        { name: "Bytes", type: "integer", jsonPath: ".status.storageBytes" },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
      strategy: {
        hasStatus: true,
        tracksGeneration: false,
        nameValidation: "label",
        prepareForCreate(obj, ctx) {
          prune(obj, ctx);
          obj.status = { phase: "Ready" };
        },
        prepareForUpdate(obj, old, ctx) {
          prune(obj, ctx);
          keepStatus(obj, old);
        },
        prepareForStatusUpdate(obj, old, ctx) {
          prune(obj, ctx);
          keepAllButStatus(obj, old);
        },
        validate: (obj) => validateName(obj),
        validateUpdate: (obj, old, ctx) => validateFinalizer(obj, old, ctx),
        validateStatusUpdate: (obj, old, ctx) => [...validateStatus(obj), ...validateFinalizer(obj, old, ctx)],
        beforeDelete(name) {
          if (isUndeletableCluster(name)) {
            throw errors.forbidden(
              `${LOGICAL_CLUSTER_PLURAL}.${TENANCY_GROUP} "${name}" is forbidden: this logical cluster may not be deleted`,
              { group: TENANCY_GROUP, resource: LOGICAL_CLUSTER_PLURAL },
              name,
            );
          }
        },
        // The data goes first (the deletion controller), then the object: the finalizer holds it.
        prepareForDelete(obj) {
          const finalizers = obj.metadata.finalizers ?? [];
          if (!finalizers.includes(LOGICAL_CLUSTER_FINALIZER))
            obj.metadata.finalizers = [...finalizers, LOGICAL_CLUSTER_FINALIZER];
          obj.status = { ...(isObject(obj.status) ? obj.status : {}), phase: "Terminating" };
        },
      },
    },
  ];
}
