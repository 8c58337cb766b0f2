// k8s.io/api/apps/v1: Deployment, ReplicaSet, StatefulSet and DaemonSet with their specs, update
// strategies, statuses and conditions (Kubernetes 1.33). Field numbers from apps/v1
// generated.proto; presence from the Go structs' json tags — `replicas` is a pointer, so an
// explicit 0 is kept; `selector` is a pointer without omitempty, so a missing one is null.

import { bool, int32, int64, message, msg, msgs, string } from "../schema.ts";
import { PodTemplateSpec } from "./core-v1-pod.ts";
import { PersistentVolumeClaim } from "./core-v1-volumes.ts";
import { LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";
import { IntOrString } from "./values.ts";

const P = "pointer";
const A = "always";
const meta = msg(1, "metadata", () => ObjectMeta);
const selector = (no: number) => msg(no, "selector", () => LabelSelector, "nullable");
const template = (no: number) => msg(no, "template", () => PodTemplateSpec);

/** The condition shape of ReplicaSet, StatefulSet and DaemonSet. */
const conditionFields = () => [
  string(1, "type", A),
  string(2, "status", A),
  msg(3, "lastTransitionTime", () => Time),
  string(4, "reason"),
  string(5, "message"),
];

// ---- Deployment ----

const RollingUpdateDeployment = message("RollingUpdateDeployment", [
  msg(1, "maxUnavailable", () => IntOrString, P),
  msg(2, "maxSurge", () => IntOrString, P),
]);

const DeploymentStrategy = message("DeploymentStrategy", [
  string(1, "type"),
  msg(2, "rollingUpdate", () => RollingUpdateDeployment, P),
]);

const DeploymentSpec = message("DeploymentSpec", [
  int32(1, "replicas", P),
  selector(2),
  template(3),
  msg(4, "strategy", () => DeploymentStrategy),
  int32(5, "minReadySeconds"),
  int32(6, "revisionHistoryLimit", P),
  bool(7, "paused"),
  int32(9, "progressDeadlineSeconds", P),
  string(10, "podReplacementPolicy", P),
]);

const DeploymentCondition = message("DeploymentCondition", [
  string(1, "type", A),
  string(2, "status", A),
  msg(6, "lastUpdateTime", () => Time),
  msg(7, "lastTransitionTime", () => Time),
  string(4, "reason"),
  string(5, "message"),
]);

const DeploymentStatus = message("DeploymentStatus", [
  int64(1, "observedGeneration"),
  int32(2, "replicas"),
  int32(3, "updatedReplicas"),
  int32(7, "readyReplicas"),
  int32(4, "availableReplicas"),
  int32(5, "unavailableReplicas"),
  int32(9, "terminatingReplicas", P),
  msgs(6, "conditions", () => DeploymentCondition),
  int32(8, "collisionCount", P),
]);

export const Deployment = message("Deployment", [
  meta,
  msg(2, "spec", () => DeploymentSpec),
  msg(3, "status", () => DeploymentStatus),
]);

// ---- ReplicaSet ----

const ReplicaSetSpec = message("ReplicaSetSpec", [
  int32(1, "replicas", P),
  int32(4, "minReadySeconds"),
  selector(2),
  template(3),
]);

const ReplicaSetCondition = message("ReplicaSetCondition", conditionFields());

const ReplicaSetStatus = message("ReplicaSetStatus", [
  int32(1, "replicas", A),
  int32(2, "fullyLabeledReplicas"),
  int32(4, "readyReplicas"),
  int32(5, "availableReplicas"),
  int32(7, "terminatingReplicas", P),
  int64(3, "observedGeneration"),
  msgs(6, "conditions", () => ReplicaSetCondition),
]);

export const ReplicaSet = message("ReplicaSet", [
  meta,
  msg(2, "spec", () => ReplicaSetSpec),
  msg(3, "status", () => ReplicaSetStatus),
]);

// ---- StatefulSet ----

const RollingUpdateStatefulSetStrategy = message("RollingUpdateStatefulSetStrategy", [
  int32(1, "partition", P),
  msg(2, "maxUnavailable", () => IntOrString, P),
]);

const StatefulSetUpdateStrategy = message("StatefulSetUpdateStrategy", [
  string(1, "type"),
  msg(2, "rollingUpdate", () => RollingUpdateStatefulSetStrategy, P),
]);

const StatefulSetPersistentVolumeClaimRetentionPolicy = message("StatefulSetPersistentVolumeClaimRetentionPolicy", [
  string(1, "whenDeleted"),
  string(2, "whenScaled"),
]);

const StatefulSetOrdinals = message("StatefulSetOrdinals", [int32(1, "start", A)]);

const StatefulSetSpec = message("StatefulSetSpec", [
  int32(1, "replicas", P),
  selector(2),
  template(3),
  msgs(4, "volumeClaimTemplates", () => PersistentVolumeClaim),
  string(5, "serviceName", A),
  string(6, "podManagementPolicy"),
  msg(7, "updateStrategy", () => StatefulSetUpdateStrategy),
  int32(8, "revisionHistoryLimit", P),
  int32(9, "minReadySeconds"),
  msg(10, "persistentVolumeClaimRetentionPolicy", () => StatefulSetPersistentVolumeClaimRetentionPolicy, P),
  msg(11, "ordinals", () => StatefulSetOrdinals, P),
]);

const StatefulSetCondition = message("StatefulSetCondition", conditionFields());

const StatefulSetStatus = message("StatefulSetStatus", [
  int64(1, "observedGeneration"),
  int32(2, "replicas", A),
  int32(3, "readyReplicas"),
  int32(4, "currentReplicas"),
  int32(5, "updatedReplicas"),
  string(6, "currentRevision"),
  string(7, "updateRevision"),
  int32(9, "collisionCount", P),
  msgs(10, "conditions", () => StatefulSetCondition),
  int32(11, "availableReplicas", A),
]);

export const StatefulSet = message("StatefulSet", [
  meta,
  msg(2, "spec", () => StatefulSetSpec),
  msg(3, "status", () => StatefulSetStatus),
]);

// ---- DaemonSet ----

const RollingUpdateDaemonSet = message("RollingUpdateDaemonSet", [
  msg(1, "maxUnavailable", () => IntOrString, P),
  msg(2, "maxSurge", () => IntOrString, P),
]);

const DaemonSetUpdateStrategy = message("DaemonSetUpdateStrategy", [
  string(1, "type"),
  msg(2, "rollingUpdate", () => RollingUpdateDaemonSet, P),
]);

const DaemonSetSpec = message("DaemonSetSpec", [
  selector(1),
  template(2),
  msg(3, "updateStrategy", () => DaemonSetUpdateStrategy),
  int32(4, "minReadySeconds"),
  int32(6, "revisionHistoryLimit", P),
]);

const DaemonSetCondition = message("DaemonSetCondition", conditionFields());

const DaemonSetStatus = message("DaemonSetStatus", [
  int32(1, "currentNumberScheduled", A),
  int32(2, "numberMisscheduled", A),
  int32(3, "desiredNumberScheduled", A),
  int32(4, "numberReady", A),
  int64(5, "observedGeneration"),
  int32(6, "updatedNumberScheduled"),
  int32(7, "numberAvailable"),
  int32(8, "numberUnavailable"),
  int32(9, "collisionCount", P),
  msgs(10, "conditions", () => DaemonSetCondition),
]);

export const DaemonSet = message("DaemonSet", [
  meta,
  msg(2, "spec", () => DaemonSetSpec),
  msg(3, "status", () => DaemonSetStatus),
]);
