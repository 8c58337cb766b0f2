// kube's default ClusterRoles and ClusterRoleBindings (the bootstrap policy of kube-apiserver 1.32,
// trimmed to the user-facing roles), present in every logical cluster without being stored in any:
// the policy index answers them for every cluster unless the cluster stores an object of the same
// name, which then wins there (as editing a default role in kube does). The rules of admin, edit
// and view are kube's, including the kinds kcp serves only as CRDs (pods, deployments, jobs, …),
// so those behave as in kube once their CRDs are installed.

import type { KObject } from "../../machinery/object.ts";
import type { PolicyRule } from "./policy-rule.ts";

export const RBAC_API_VERSION = "rbac.authorization.k8s.io/v1";
export const AGGREGATE_TO_ADMIN = "rbac.authorization.k8s.io/aggregate-to-admin";
export const AGGREGATE_TO_EDIT = "rbac.authorization.k8s.io/aggregate-to-edit";
export const AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view";

/** When the defaults "were created": fixed, so that every read of them is the same object. */
const CREATED = "2026-01-01T00:00:00Z";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function rule(apiGroups: string[], resources: string[], verbs: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

function meta(name: string, labels: Record<string, string> = {}) {
  return {
    name,
    uid: `00000000-0000-0000-0000-${hex12(name)}`,
    resourceVersion: "0",
    creationTimestamp: CREATED,
    labels: { "kubernetes.io/bootstrapping": "rbac-defaults", ...labels },
    annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
  };
}

/** 12 hex digits from a name, so each default has its own stable uid. */
function hex12(name: string): string {
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    g = Math.imul(g ^ name.charCodeAt(i), 0x85ebca6b) >>> 0;
  }
  return (h.toString(16).padStart(8, "0") + g.toString(16).padStart(8, "0")).slice(0, 12);
}

function clusterRole(
  name: string,
  rules: PolicyRule[],
  opts: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): KObject {
  const obj: KObject = { apiVersion: RBAC_API_VERSION, kind: "ClusterRole", metadata: meta(name, opts.labels) };
  if (opts.aggregateFrom)
    obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [opts.aggregateFrom]: "true" } }] };
  obj.rules = rules;
  return obj;
}

function groupBinding(name: string, role: string, groups: string[]): KObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: "ClusterRoleBinding",
    metadata: meta(name),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: groups.map((g) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: g })),
  };
}

const PUBLIC_INFO = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

function buildClusterRoles(): KObject[] {
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), { nonResourceURLs: ["*"], verbs: ["*"] }]),
    // admin, edit and view hold no rules of their own: they are the union of the roles labelled to
    // aggregate into them (view into edit, edit into admin), as kube's aggregation controller makes them.
    clusterRole("admin", [], { aggregateFrom: AGGREGATE_TO_ADMIN }),
    clusterRole("edit", [], { aggregateFrom: AGGREGATE_TO_EDIT, labels: { [AGGREGATE_TO_ADMIN]: "true" } }),
    clusterRole("view", [], { aggregateFrom: AGGREGATE_TO_VIEW, labels: { [AGGREGATE_TO_EDIT]: "true" } }),
    clusterRole(
      "system:aggregate-to-admin",
      [
        rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
        rule(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], ALL_VERBS),
      ],
      { labels: { [AGGREGATE_TO_ADMIN]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-edit",
      [
        rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], READ),
        rule([""], ["serviceaccounts"], ["impersonate"]),
        rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], WRITE),
        rule([""], ["pods/eviction"], ["create"]),
        rule(
          [""],
          [
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
          ],
          WRITE,
        ),
        rule([""], ["serviceaccounts/token"], ["create"]),
        rule(
          ["apps"],
          [
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
          ],
          WRITE,
        ),
        rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
        rule(["batch"], ["cronjobs", "jobs"], WRITE),
        rule(["policy"], ["poddisruptionbudgets"], WRITE),
        rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
        rule(["coordination.k8s.io"], ["leases"], ALL_VERBS),
      ],
      { labels: { [AGGREGATE_TO_EDIT]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-view",
      [
        rule(
          [""],
          [
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
          ],
          READ,
        ),
        rule(
          [""],
          [
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
          ],
          READ,
        ),
        rule([""], ["namespaces"], READ),
        rule(["discovery.k8s.io"], ["endpointslices"], READ),
        rule(
          ["apps"],
          [
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
          ],
          READ,
        ),
        rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
        rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
        rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
        rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ),
      ],
      { labels: { [AGGREGATE_TO_VIEW]: "true" } },
    ),
    clusterRole("system:auth-delegator", [
      rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
      rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
    ]),
    clusterRole("system:basic-user", [
      rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
      rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
    ]),
    clusterRole("system:discovery", [
      {
        nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", ...PUBLIC_INFO],
        verbs: ["get"],
      },
    ]),
    clusterRole("system:public-info-viewer", [{ nonResourceURLs: PUBLIC_INFO, verbs: ["get"] }]),
    // As kube's: what a Prometheus scraping the control plane needs, bound to the group of the same name.
    clusterRole("system:monitoring", [
      {
        nonResourceURLs: [
          "/healthz",
          "/healthz/*",
          "/livez",
          "/livez/*",
          "/metrics",
          "/metrics/slis",
          "/readyz",
          "/readyz/*",
        ],
        verbs: ["get"],
      },
    ]),
  ];
}

function buildClusterRoleBindings(): KObject[] {
  return [
    groupBinding("cluster-admin", "cluster-admin", ["system:masters"]),
    groupBinding("system:basic-user", "system:basic-user", ["system:authenticated"]),
    groupBinding("system:discovery", "system:discovery", ["system:authenticated"]),
    groupBinding("system:monitoring", "system:monitoring", ["system:monitoring"]),
    groupBinding("system:public-info-viewer", "system:public-info-viewer", [
      "system:authenticated",
      "system:unauthenticated",
    ]),
  ];
}

let cached: { clusterRoles: KObject[]; clusterRoleBindings: KObject[] } | undefined;

/**
 * The default objects, built once and shared: callers must not change them (serve copies).
 * Sorted by name, as a list of them is.
 */
export function defaultPolicy(): { clusterRoles: readonly KObject[]; clusterRoleBindings: readonly KObject[] } {
  cached ??= {
    clusterRoles: buildClusterRoles().sort(byName),
    clusterRoleBindings: buildClusterRoleBindings().sort(byName),
  };
  return cached;
}

function byName(a: KObject, b: KObject): number {
  const x = a.metadata.name ?? "";
  const y = b.metadata.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}
