// Typed requests: a ResourceClient whose objects have the caller's type, and the references of
// the kinds kcp's own controllers and the syncer use. The wire is the dynamic client's (plain
// JSON); the type says what the caller expects to find in it, nothing is converted.

import type { KObject } from "../machinery/object.ts";
import type { KList, ListOptions, PatchType, ResourceClient, ResourceRef } from "./dynamic-client.ts";
import type { WatchEvent } from "./rest-client.ts";

export interface TypedList<T> extends Omit<KList, "items"> {
  items: T[];
}

export interface TypedWatchEvent<T> extends Omit<WatchEvent, "object"> {
  object: T;
}

/** ResourceClient with objects of type T. */
export interface TypedResourceClient<T extends KObject> {
  readonly ref: ResourceRef;
  list(opts?: ListOptions): Promise<TypedList<T>>;
  get(name: string, namespace?: string): Promise<T>;
  create(obj: T, opts?: { namespace?: string; fieldManager?: string; dryRun?: boolean }): Promise<T>;
  update(obj: T, opts?: { fieldManager?: string }): Promise<T>;
  updateStatus(obj: T, opts?: { fieldManager?: string }): Promise<T>;
  patch(
    name: string,
    patch: unknown,
    type: PatchType,
    opts?: { namespace?: string; subresource?: string; fieldManager?: string; force?: boolean },
  ): Promise<T>;
  delete: ResourceClient["delete"];
  watch(opts?: ListOptions): AsyncIterable<TypedWatchEvent<T>>;
}

/** The same client, typed: the caller vouches that the server's objects have type T. */
export function typed<T extends KObject>(client: ResourceClient): TypedResourceClient<T> {
  return client as unknown as TypedResourceClient<T>;
}

/** References of common kinds, in the versions Kubernetes prefers (kcp serves the same for those it has). */
export const RESOURCES = {
  namespaces: { group: "", version: "v1", resource: "namespaces", namespaced: false, kind: "Namespace" },
  configMaps: { group: "", version: "v1", resource: "configmaps", namespaced: true, kind: "ConfigMap" },
  secrets: { group: "", version: "v1", resource: "secrets", namespaced: true, kind: "Secret" },
  serviceAccounts: { group: "", version: "v1", resource: "serviceaccounts", namespaced: true, kind: "ServiceAccount" },
  events: { group: "", version: "v1", resource: "events", namespaced: true, kind: "Event" },
  leases: { group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true, kind: "Lease" },
  customResourceDefinitions: {
    group: "apiextensions.k8s.io",
    version: "v1",
    resource: "customresourcedefinitions",
    namespaced: false,
    kind: "CustomResourceDefinition",
  },
  clusterRoles: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterroles",
    namespaced: false,
    kind: "ClusterRole",
  },
  clusterRoleBindings: {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterrolebindings",
    namespaced: false,
    kind: "ClusterRoleBinding",
  },
  deployments: { group: "apps", version: "v1", resource: "deployments", namespaced: true, kind: "Deployment" },
} as const satisfies Record<string, ResourceRef>;
