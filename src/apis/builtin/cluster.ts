// cluster.example.dev/v1alpha1 Cluster: a physical cluster attached to a logical cluster, served in
// every logical cluster without a CRD (the seed installed a CRD by hand first). It is described the
// way a CRD is (an OpenAPI v3 schema and printer columns), since kube has no Go types for it, and
// its strategy validates spec and status and keeps them apart (status subresource).
//
// The names, fields and reasons below are shared by the cluster controller and `kcp cluster`.

import { field, type FieldError } from "../../machinery/status.ts";
import { isObject } from "../../machinery/object.ts";
import { reportUnknownFields } from "../crd/unknown-fields.ts";
import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { keepAllButStatus, keepStatus, STORED_VERBS, statusSubresource } from "./strategy-helpers.ts";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../capabilities.ts";

export const CLUSTER_GROUP = "cluster.example.dev";
export const CLUSTER_VERSION = "v1alpha1";
export const CLUSTER_API_VERSION = `${CLUSTER_GROUP}/${CLUSTER_VERSION}`;
export const CLUSTER_RESOURCE = "clusters";
export const CLUSTER_KIND = "Cluster";

/** Where a Cluster's syncer runs: in kcp (push), in the physical cluster (pull), or wherever its user runs it (none). */
export const SYNCER_MODES = ["push", "pull", "none"] as const;
export type SyncerMode = (typeof SYNCER_MODES)[number];

/** The reasons of the Ready condition (the seed's names). */
export const ClusterReason = {
  InvalidKubeConfig: "InvalidKubeConfig",
  ErrorCreatingClient: "ErrorCreatingClient",
  ErrorStartingSyncer: "ErrorStartingSyncer",
  ErrorInstallingSyncer: "ErrorInstallingSyncer",
  SyncerNotReady: "SyncerNotReady",
  SyncerReady: "SyncerReady",
  /** Some requested resources are neither native to kcp nor imported Compatible and Available (kcp's own). */
  APIsNotNegotiated: "APIsNotNegotiated",
} as const;

export interface ClusterCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ClusterSpec {
  kubeconfig: string;
  mode?: SyncerMode;
  resources?: string[];
}

export interface ClusterStatus {
  conditions?: ClusterCondition[];
  syncedResources?: string[];
  /** When the controller last saw the syncer's heartbeat Lease renewed. */
  lastSyncerHeartbeatTime?: string;
}

/** Bounds on what a Cluster may hold: a kubeconfig with inline certificates fits easily. */
const MAX_KUBECONFIG_BYTES = 256 * 1024;
const MAX_RESOURCES = 100;
const MAX_RESOURCE_NAME = 253;

const conditionSchema = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: { type: "string", description: "Type of the condition; Ready is the one kcp sets." },
    status: { type: "string", enum: ["True", "False", "Unknown"], description: "True, False or Unknown." },
    lastTransitionTime: {
      type: "string",
      format: "date-time",
      description: "When the status last changed (not when the condition was last written).",
    },
    reason: { type: "string", description: "A CamelCase word saying why, for machines." },
    message: { type: "string", description: "What is going on, for people." },
  },
};

const CLUSTER_SCHEMA: Record<string, unknown> = {
  type: "object",
  description: "Cluster is a physical Kubernetes cluster attached to a logical cluster of kcp.",
  required: ["spec"],
  properties: {
    spec: {
      type: "object",
      description: "How to reach the physical cluster and what to sync to it.",
      required: ["kubeconfig"],
      properties: {
        kubeconfig: {
          type: "string",
          description: "A whole kubeconfig of the physical cluster; its current context is used.",
        },
        mode: {
          type: "string",
          enum: [...SYNCER_MODES],
          description:
            "Where the syncer runs: push (inside kcp), pull (installed in the physical cluster) or none (run `kcp sync` yourself). Default: the cluster controller's --cluster-syncer-mode.",
        },
        resources: {
          type: "array",
          items: { type: "string" },
          description:
            "The resources to sync, as resource.group (deployments.apps) or a core resource name (configmaps). Default: the cluster controller's --cluster-resources.",
        },
      },
    },
    status: {
      type: "object",
      description: "What the cluster controller observed.",
      properties: {
        conditions: { type: "array", items: conditionSchema, description: "Ready says whether the syncer works." },
        syncedResources: {
          type: "array",
          items: { type: "string" },
          description: "The resources the syncer is syncing.",
        },
        lastSyncerHeartbeatTime: {
          type: "string",
          format: "date-time",
          description: "When the syncer last renewed its heartbeat.",
        },
      },
    },
  },
};

/**
 * The resources of Kubernetes' core group (v1): the only ones a bare name may mean. Anything else
 * needs its group (deployments.apps): pull mode grants the syncer RBAC per group, and a bare
 * `deployments` would grant it in the core group, where no deployments are.
 */
export const CORE_RESOURCES: ReadonlySet<string> = new Set([
  "bindings",
  "componentstatuses",
  "configmaps",
  "endpoints",
  "events",
  "limitranges",
  "namespaces",
  "nodes",
  "persistentvolumeclaims",
  "persistentvolumes",
  "pods",
  "podtemplates",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "serviceaccounts",
  "services",
]);

/** Why `name` is not a resource to sync (resource.group, or a core resource's bare name), or undefined. */
export function syncedResourceNameError(name: string): string | undefined {
  if (name.length > MAX_RESOURCE_NAME || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    return "must be a resource name, e.g. deployments.apps or configmaps";
  if (!name.includes(".") && !CORE_RESOURCES.has(name))
    return `a resource outside the core group needs its group, e.g. ${name}.apps or ${name}.example.com`;
  return undefined;
}

const READY_JSONPATH = '.status.conditions[?(@.type=="Ready")].status';

function validateSpec(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec;
  if (!isObject(spec)) return [field.required("spec", "")];
  const kc = spec.kubeconfig;
  if (kc === undefined || kc === null || kc === "") errs.push(field.required("spec.kubeconfig", ""));
  else if (typeof kc !== "string") errs.push(field.typeInvalid("spec.kubeconfig", kc, "must be a string"));
  else if (kc.length > MAX_KUBECONFIG_BYTES) errs.push(field.tooLong("spec.kubeconfig", "", MAX_KUBECONFIG_BYTES));
  if (spec.mode !== undefined && !(SYNCER_MODES as readonly unknown[]).includes(spec.mode))
    errs.push(field.notSupported("spec.mode", spec.mode, [...SYNCER_MODES]));
  const res = spec.resources;
  if (res !== undefined && res !== null) {
    if (!Array.isArray(res)) errs.push(field.typeInvalid("spec.resources", res, "must be an array of strings"));
    else if (res.length > MAX_RESOURCES) errs.push(field.tooLong("spec.resources", "", MAX_RESOURCES));
    else {
      const seen = new Set<string>();
      res.forEach((r, i) => {
        const path = `spec.resources[${i}]`;
        const why = typeof r === "string" && r !== "" ? syncedResourceNameError(r) : undefined;
        if (typeof r !== "string" || r === "") errs.push(field.invalid(path, r, "must be a non-empty string"));
        else if (why) errs.push(field.invalid(path, r, why));
        else if (seen.has(r)) errs.push(field.duplicate(path, r));
        else seen.add(r);
      });
    }
  }
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj.status;
  if (status === undefined || status === null) return errs;
  if (!isObject(status)) return [field.typeInvalid("status", status, "must be an object")];
  const conds = status.conditions;
  if (conds !== undefined && conds !== null) {
    if (!Array.isArray(conds) || conds.length > 16) errs.push(field.invalid("status.conditions", "", "at most 16"));
    else
      conds.forEach((c, i) => {
        const path = `status.conditions[${i}]`;
        if (!isObject(c)) errs.push(field.typeInvalid(path, c, "must be an object"));
        else {
          if (typeof c.type !== "string" || c.type === "") errs.push(field.required(`${path}.type`, ""));
          if (!["True", "False", "Unknown"].includes(c.status as string))
            errs.push(field.notSupported(`${path}.status`, c.status, ["True", "False", "Unknown"]));
        }
      });
  }
  const synced = status.syncedResources;
  if (synced !== undefined && synced !== null && (!Array.isArray(synced) || synced.some((s) => typeof s !== "string")))
    errs.push(field.typeInvalid("status.syncedResources", synced, "must be an array of strings"));
  return errs;
}

const SPEC_FIELDS = new Set(["kubeconfig", "mode", "resources"]);
const STATUS_FIELDS = new Set(["conditions", "syncedResources", "lastSyncerHeartbeatTime"]);
const TOP_FIELDS = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);

/** Fields the schema does not declare are dropped, as a CRD's structural schema prunes them. */
function prune(obj: KObject, ctx: RequestContext): void {
  const unknown: string[] = [];
  const drop = (o: Record<string, unknown>, known: Set<string>, prefix: string) => {
    for (const k of Object.keys(o)) {
      if (!known.has(k)) {
        unknown.push(`${prefix}${k}`);
        delete o[k];
      }
    }
  };
  drop(obj, TOP_FIELDS, "");
  if (isObject(obj.spec)) drop(obj.spec, SPEC_FIELDS, "spec.");
  if (isObject(obj.status)) drop(obj.status, STATUS_FIELDS, "status.");
  reportUnknownFields(CLUSTER_KIND, CLUSTER_VERSION, ctx, unknown, []);
}

export function clusterResources(): ResourceDef[] {
  return [
    {
      group: CLUSTER_GROUP,
      version: CLUSTER_VERSION,
      plural: CLUSTER_RESOURCE,
      singular: "cluster",
      kind: CLUSTER_KIND,
      listKind: `${CLUSTER_KIND}List`,
      categories: ["kcp"],
      namespaced: false,
      verbs: STORED_VERBS,
      subresources: [statusSubresource()],
      mode: "stored",
      source: "builtin",
      // No Go types behind it: served as a custom resource is (JSON, its own schema, printer columns).
      capabilities: CUSTOM_RESOURCE_CAPABILITIES,
      openAPISchema: CLUSTER_SCHEMA,
      printerColumns: [
        {
          name: "Location",
          type: "string",
          jsonPath: ".metadata.name",
          description: "The kcp.dev/cluster label value",
        },
        { name: "Ready", type: "string", jsonPath: READY_JSONPATH, description: "Whether the syncer works" },
        { name: "Synced API resources", type: "string", jsonPath: ".status.syncedResources" },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
      strategy: {
        hasStatus: true,
        tracksGeneration: true,
        // The name is a label value (kcp.dev/cluster) and part of the syncer's object names.
        nameValidation: "label",
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
        validate: (obj) => validateSpec(obj),
        validateUpdate: (obj) => validateSpec(obj),
        validateStatusUpdate: (obj) => validateStatus(obj),
      },
    },
  ];
}
