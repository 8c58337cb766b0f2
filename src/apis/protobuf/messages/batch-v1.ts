// k8s.io/api/batch/v1: Job (with pod-failure and success policies) and CronJob, Kubernetes 1.33.
// Field numbers from batch/v1 generated.proto; presence from the Go structs' json tags (checked
// against the JSON kubectl 1.33 writes for the same objects).

import { int32, int64, ints, message, msg, msgs, string, bool, strings } from "../schema.ts";
import { ObjectReference } from "./core-v1.ts";
import { PodTemplateSpec } from "./core-v1-pod.ts";
import { LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";

const P = "pointer";
const A = "always";
const meta = msg(1, "metadata", () => ObjectMeta);

const PodFailurePolicyOnExitCodesRequirement = message("PodFailurePolicyOnExitCodesRequirement", [
  string(1, "containerName", P),
  string(2, "operator", A),
  ints(3, "values", "int32", A),
]);

const PodFailurePolicyOnPodConditionsPattern = message("PodFailurePolicyOnPodConditionsPattern", [
  string(1, "type", A),
  string(2, "status", A),
]);

const PodFailurePolicyRule = message("PodFailurePolicyRule", [
  string(1, "action", A),
  msg(2, "onExitCodes", () => PodFailurePolicyOnExitCodesRequirement, P),
  msgs(3, "onPodConditions", () => PodFailurePolicyOnPodConditionsPattern),
]);

const PodFailurePolicy = message("PodFailurePolicy", [msgs(1, "rules", () => PodFailurePolicyRule, A)]);

const SuccessPolicyRule = message("SuccessPolicyRule", [
  string(1, "succeededIndexes", P),
  int32(2, "succeededCount", P),
]);

const SuccessPolicy = message("SuccessPolicy", [msgs(1, "rules", () => SuccessPolicyRule, A)]);

const JobSpec = message("JobSpec", [
  int32(1, "parallelism", P),
  int32(2, "completions", P),
  int64(3, "activeDeadlineSeconds", P),
  msg(11, "podFailurePolicy", () => PodFailurePolicy, P),
  msg(16, "successPolicy", () => SuccessPolicy, P),
  int32(7, "backoffLimit", P),
  int32(12, "backoffLimitPerIndex", P),
  int32(13, "maxFailedIndexes", P),
  msg(4, "selector", () => LabelSelector, P),
  bool(5, "manualSelector", P),
  msg(6, "template", () => PodTemplateSpec),
  int32(8, "ttlSecondsAfterFinished", P),
  string(9, "completionMode", P),
  bool(10, "suspend", P),
  string(14, "podReplacementPolicy", P),
  string(15, "managedBy", P),
]);

const JobCondition = message("JobCondition", [
  string(1, "type", A),
  string(2, "status", A),
  msg(3, "lastProbeTime", () => Time),
  msg(4, "lastTransitionTime", () => Time),
  string(5, "reason"),
  string(6, "message"),
]);

const UncountedTerminatedPods = message("UncountedTerminatedPods", [strings(1, "succeeded"), strings(2, "failed")]);

const JobStatus = message("JobStatus", [
  msgs(1, "conditions", () => JobCondition),
  msg(2, "startTime", () => Time, P),
  msg(3, "completionTime", () => Time, P),
  int32(4, "active"),
  int32(5, "succeeded"),
  int32(6, "failed"),
  int32(11, "terminating", P),
  string(7, "completedIndexes"),
  string(10, "failedIndexes", P),
  msg(8, "uncountedTerminatedPods", () => UncountedTerminatedPods, P),
  int32(9, "ready", P),
]);

export const Job = message("Job", [meta, msg(2, "spec", () => JobSpec), msg(3, "status", () => JobStatus)]);

const JobTemplateSpec = message("JobTemplateSpec", [meta, msg(2, "spec", () => JobSpec)]);

const CronJobSpec = message("CronJobSpec", [
  string(1, "schedule", A),
  string(8, "timeZone", P),
  int64(2, "startingDeadlineSeconds", P),
  string(3, "concurrencyPolicy"),
  bool(4, "suspend", P),
  msg(5, "jobTemplate", () => JobTemplateSpec),
  int32(6, "successfulJobsHistoryLimit", P),
  int32(7, "failedJobsHistoryLimit", P),
]);

const CronJobStatus = message("CronJobStatus", [
  msgs(1, "active", () => ObjectReference),
  msg(4, "lastScheduleTime", () => Time, P),
  msg(5, "lastSuccessfulTime", () => Time, P),
]);

export const CronJob = message("CronJob", [
  meta,
  msg(2, "spec", () => CronJobSpec),
  msg(3, "status", () => CronJobStatus),
]);
