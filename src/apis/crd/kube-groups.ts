// The API groups of Kubernetes itself that a CRD may use although they break the "domain with a
// dot" rule, so that kcp can serve Kubernetes kinds (deployments.apps, pods) as CRDs, as the kcp
// prototype did. The core group is spelt `spec.group: ""` and the CRD is named `<plural>.core`;
// it is served under /api/v1 only. Groups ending in .k8s.io already have a dot and keep kube's
// API-approval annotation rule.

/** Dotless groups Kubernetes serves its own kinds in (kube-apiserver's legacy groups). */
const KUBE_DOTLESS_GROUPS = new Set(["apps", "autoscaling", "batch", "extensions", "policy"]);

/** The name segment standing for the core group in a CRD's metadata.name. */
export const CORE_GROUP_NAME = "core";

/** The only version the core group is served in (/api/v1). */
export const CORE_GROUP_VERSION = "v1";

export function isKubeDotlessGroup(group: string): boolean {
  return KUBE_DOTLESS_GROUPS.has(group);
}

/** Whether a CRD with this name and group defines a core-group kind (`pods.core`, group ""). */
export function isCoreGroupCRD(name: string, group: string, plural: string): boolean {
  return group === "" && plural !== "" && name === `${plural}.${CORE_GROUP_NAME}`;
}

/**
 * Whether `group` is one of Kubernetes' own API groups (core, the dotless ones, *.k8s.io): clients
 * have Go types for the kinds there and treat them as built-ins (strategic merge patch).
 */
export function isKubernetesGroup(group: string): boolean {
  return group === "" || isKubeDotlessGroup(group) || group === "k8s.io" || group.endsWith(".k8s.io");
}
