// k8s.io/api/core/v1: Pod, PodSpec (scheduling: affinity, tolerations, topology spread; DNS,
// security context, readiness gates, resource claims, ...), PodStatus and PodTemplateSpec
// (Kubernetes 1.33). Field numbers from core/v1 generated.proto; presence from the json tags.

import { bool, int32, int64, ints, map, message, msg, msgs, string, strings } from "../schema.ts";
import { LocalObjectReference } from "./core-v1.ts";
import {
  AppArmorProfile,
  Container,
  ContainerStatus,
  EphemeralContainer,
  ResourceRequirements,
  SeccompProfile,
  SELinuxOptions,
  WindowsSecurityContextOptions,
} from "./core-v1-container.ts";
import { Volume } from "./core-v1-volumes.ts";
import { LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";
import { Quantity } from "./values.ts";

const P = "pointer";
const A = "always";

const NodeSelectorRequirement = message("NodeSelectorRequirement", [
  string(1, "key", A),
  string(2, "operator", A),
  strings(3, "values"),
]);

const NodeSelectorTerm = message("NodeSelectorTerm", [
  msgs(1, "matchExpressions", () => NodeSelectorRequirement),
  msgs(2, "matchFields", () => NodeSelectorRequirement),
]);

const NodeSelector = message("NodeSelector", [msgs(1, "nodeSelectorTerms", () => NodeSelectorTerm, A)]);

const PreferredSchedulingTerm = message("PreferredSchedulingTerm", [
  int32(1, "weight", A),
  msg(2, "preference", () => NodeSelectorTerm),
]);

const NodeAffinity = message("NodeAffinity", [
  msg(1, "requiredDuringSchedulingIgnoredDuringExecution", () => NodeSelector, P),
  msgs(2, "preferredDuringSchedulingIgnoredDuringExecution", () => PreferredSchedulingTerm),
]);

const PodAffinityTerm = message("PodAffinityTerm", [
  msg(1, "labelSelector", () => LabelSelector, P),
  strings(2, "namespaces"),
  string(3, "topologyKey", A),
  msg(4, "namespaceSelector", () => LabelSelector, P),
  strings(5, "matchLabelKeys"),
  strings(6, "mismatchLabelKeys"),
]);

const WeightedPodAffinityTerm = message("WeightedPodAffinityTerm", [
  int32(1, "weight", A),
  msg(2, "podAffinityTerm", () => PodAffinityTerm),
]);

/** PodAffinity and PodAntiAffinity have the same two fields. */
const podAffinityFields = () => [
  msgs(1, "requiredDuringSchedulingIgnoredDuringExecution", () => PodAffinityTerm),
  msgs(2, "preferredDuringSchedulingIgnoredDuringExecution", () => WeightedPodAffinityTerm),
];

const PodAffinity = message("PodAffinity", podAffinityFields());
const PodAntiAffinity = message("PodAntiAffinity", podAffinityFields());

const Affinity = message("Affinity", [
  msg(1, "nodeAffinity", () => NodeAffinity, P),
  msg(2, "podAffinity", () => PodAffinity, P),
  msg(3, "podAntiAffinity", () => PodAntiAffinity, P),
]);

const Toleration = message("Toleration", [
  string(1, "key"),
  string(2, "operator"),
  string(3, "value"),
  string(4, "effect"),
  int64(5, "tolerationSeconds", P),
]);

const HostAlias = message("HostAlias", [string(1, "ip", A), strings(2, "hostnames")]);

const PodDNSConfigOption = message("PodDNSConfigOption", [string(1, "name"), string(2, "value", P)]);

const PodDNSConfig = message("PodDNSConfig", [
  strings(1, "nameservers"),
  strings(2, "searches"),
  msgs(3, "options", () => PodDNSConfigOption),
]);

const PodReadinessGate = message("PodReadinessGate", [string(1, "conditionType", A)]);

const TopologySpreadConstraint = message("TopologySpreadConstraint", [
  int32(1, "maxSkew", A),
  string(2, "topologyKey", A),
  string(3, "whenUnsatisfiable", A),
  msg(4, "labelSelector", () => LabelSelector, P),
  int32(5, "minDomains", P),
  string(6, "nodeAffinityPolicy", P),
  string(7, "nodeTaintsPolicy", P),
  strings(8, "matchLabelKeys"),
]);

const Sysctl = message("Sysctl", [string(1, "name", A), string(2, "value", A)]);

const PodSecurityContext = message("PodSecurityContext", [
  msg(1, "seLinuxOptions", () => SELinuxOptions, P),
  msg(8, "windowsOptions", () => WindowsSecurityContextOptions, P),
  int64(2, "runAsUser", P),
  int64(6, "runAsGroup", P),
  bool(3, "runAsNonRoot", P),
  ints(4, "supplementalGroups", "int64"),
  string(12, "supplementalGroupsPolicy", P),
  int64(5, "fsGroup", P),
  msgs(7, "sysctls", () => Sysctl),
  string(9, "fsGroupChangePolicy", P),
  msg(10, "seccompProfile", () => SeccompProfile, P),
  msg(11, "appArmorProfile", () => AppArmorProfile, P),
  string(13, "seLinuxChangePolicy", P),
]);

const PodOS = message("PodOS", [string(1, "name", A)]);

const PodSchedulingGate = message("PodSchedulingGate", [string(1, "name", A)]);

/** Field 2 (source) was removed in 1.31 for the two names below. */
const PodResourceClaim = message("PodResourceClaim", [
  string(1, "name", A),
  string(3, "resourceClaimName", P),
  string(4, "resourceClaimTemplateName", P),
]);

export const PodSpec = message("PodSpec", [
  msgs(1, "volumes", () => Volume),
  msgs(20, "initContainers", () => Container),
  msgs(2, "containers", () => Container, A),
  msgs(34, "ephemeralContainers", () => EphemeralContainer),
  string(3, "restartPolicy"),
  int64(4, "terminationGracePeriodSeconds", P),
  int64(5, "activeDeadlineSeconds", P),
  string(6, "dnsPolicy"),
  map(7, "nodeSelector", "string"),
  string(8, "serviceAccountName"),
  string(9, "serviceAccount"),
  bool(21, "automountServiceAccountToken", P),
  string(10, "nodeName"),
  bool(11, "hostNetwork"),
  bool(12, "hostPID"),
  bool(13, "hostIPC"),
  bool(27, "shareProcessNamespace", P),
  msg(14, "securityContext", () => PodSecurityContext, P),
  msgs(15, "imagePullSecrets", () => LocalObjectReference),
  string(16, "hostname"),
  string(17, "subdomain"),
  msg(18, "affinity", () => Affinity, P),
  string(19, "schedulerName"),
  msgs(22, "tolerations", () => Toleration),
  msgs(23, "hostAliases", () => HostAlias),
  string(24, "priorityClassName"),
  int32(25, "priority", P),
  msg(26, "dnsConfig", () => PodDNSConfig, P),
  msgs(28, "readinessGates", () => PodReadinessGate),
  string(29, "runtimeClassName", P),
  bool(30, "enableServiceLinks", P),
  string(31, "preemptionPolicy", P),
  map(32, "overhead", () => Quantity),
  msgs(33, "topologySpreadConstraints", () => TopologySpreadConstraint),
  bool(35, "setHostnameAsFQDN", P),
  msg(36, "os", () => PodOS, P),
  bool(37, "hostUsers", P),
  msgs(38, "schedulingGates", () => PodSchedulingGate),
  msgs(39, "resourceClaims", () => PodResourceClaim),
  msg(40, "resources", () => ResourceRequirements, P),
]);

const PodCondition = message("PodCondition", [
  string(1, "type", A),
  int64(7, "observedGeneration"),
  string(2, "status", A),
  msg(3, "lastProbeTime", () => Time),
  msg(4, "lastTransitionTime", () => Time),
  string(5, "reason"),
  string(6, "message"),
]);

const PodIP = message("PodIP", [string(1, "ip")]);

const PodResourceClaimStatus = message("PodResourceClaimStatus", [
  string(1, "name", A),
  string(2, "resourceClaimName", P),
]);

const PodStatus = message("PodStatus", [
  int64(17, "observedGeneration"),
  string(1, "phase"),
  msgs(2, "conditions", () => PodCondition),
  string(3, "message"),
  string(4, "reason"),
  string(11, "nominatedNodeName"),
  string(5, "hostIP"),
  msgs(16, "hostIPs", () => PodIP),
  string(6, "podIP"),
  msgs(12, "podIPs", () => PodIP),
  msg(7, "startTime", () => Time, P),
  msgs(10, "initContainerStatuses", () => ContainerStatus),
  msgs(8, "containerStatuses", () => ContainerStatus),
  string(9, "qosClass"),
  msgs(13, "ephemeralContainerStatuses", () => ContainerStatus),
  string(14, "resize"),
  msgs(15, "resourceClaimStatuses", () => PodResourceClaimStatus),
]);

export const Pod = message("Pod", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => PodSpec),
  msg(3, "status", () => PodStatus),
]);

export const PodTemplateSpec = message("PodTemplateSpec", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => PodSpec),
]);
